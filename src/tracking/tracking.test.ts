import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { machineReason } from './machine-opens.js';
import { staticLinks, trackableLinks, withOpenPixel, withTrackedLinks } from './tracked-html.js';

const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('tracked HTML', () => {
  const html =
    '<a href="https://shop.test/a?x=1&amp;y=2">A</a><a class="b" href=\'http://shop.test/b\'>B</a>' +
    '<a href="https://lw.test/u/tok">Unsubscribe</a><a href="mailto:x@shop.test">mail</a><a href="#top">top</a>' +
    '<a href="https://shop.test/a?x=1&amp;y=2">A again</a><a href="javascript:alert(1)">js</a></body>';

  it('finds each http(s) link once, decoded, but not our own pages or other schemes', () => {
    assert.deepEqual(trackableLinks(html, 'https://lw.test'), ['https://shop.test/a?x=1&y=2', 'http://shop.test/b']);
  });

  it('replaces only the links it is given an address for, keeping quotes and attributes', () => {
    const out = withTrackedLinks(html, (url) =>
      url.startsWith('https://shop.test/a') ? 'https://lw.test/t/c/T' : undefined,
    );
    assert.equal((out.match(/https:\/\/lw\.test\/t\/c\/T/g) ?? []).length, 2);
    assert.match(out, /<a class="b" href='http:\/\/shop\.test\/b'>/);
    assert.match(out, /href="https:\/\/lw\.test\/u\/tok"/);
  });

  it('tracks only links the source writes out as they are (no personal value in a tracked link)', () => {
    const source =
      '<a href="https://shop.test/a?x=1&amp;y=2">A</a><a href="https://shop.test/acct?u={{ subscriber.email }}">me</a>' +
      '<mj-button href="https://shop.test/btn">Go</mj-button><a href="{{ unsubscribe_url }}">U</a><a href="https://lw.test/p">own</a>';
    assert.deepEqual(
      [...staticLinks(source, 'https://lw.test')],
      ['https://shop.test/a?x=1&y=2', 'https://shop.test/btn'],
    );
  });

  it('puts the pixel before </body>, or at the end', () => {
    assert.match(
      withOpenPixel('<p>x</p></body></html>', 'https://lw.test/t/o/T'),
      /<img src="https:\/\/lw\.test\/t\/o\/T"[^>]*><\/body>/,
    );
    assert.match(withOpenPixel('<p>x</p>', 'P'), /<p>x<\/p><img src="P"/);
  });
});

describe('machine opens and clicks', () => {
  const person = { method: 'GET', userAgent: BROWSER, ip: '198.51.100.7', sinceSentMs: 60_000 };
  it('takes a browser a while after delivery for a person', () => {
    assert.equal(machineReason(person), undefined);
    assert.equal(machineReason({ ...person, sinceSentMs: undefined }), undefined);
  });
  it('knows Apple Mail Privacy Protection, scanners, HEAD, missing agents and instant fetches', () => {
    assert.match(machineReason({ ...person, ip: '17.58.0.1' }) ?? '', /Apple/);
    assert.match(machineReason({ ...person, ip: '::ffff:17.1.2.3' }) ?? '', /Apple/);
    assert.match(machineReason({ ...person, userAgent: 'Mozilla/5.0' }) ?? '', /Apple/);
    assert.match(
      machineReason({ ...person, userAgent: 'Mozilla/5.0 (compatible; Barracuda Sentinel)' }) ?? '',
      /scanner/,
    );
    assert.match(machineReason({ ...person, userAgent: 'python-requests/2.31' }) ?? '', /scanner/);
    assert.match(machineReason({ ...person, method: 'HEAD' }) ?? '', /HEAD/);
    assert.match(machineReason({ ...person, userAgent: undefined }) ?? '', /no user agent/);
    assert.match(machineReason({ ...person, sinceSentMs: 900 }) ?? '', /seconds of delivery/);
  });
});
