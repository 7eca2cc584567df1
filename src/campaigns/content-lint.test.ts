import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintContent, linksIn } from './content-lint.js';

const U = 'https://mail.shop.test/u/token';
const ids = (f: Array<{ id: string }>) => f.map((x) => x.id).sort();

describe('content lint', () => {
  it('passes an honest newsletter', () => {
    const html = `<p>Our winter sale has started: warm coats, boots and scarves at prices that make the season easier, in every shop and online.</p><p><a href="https://www.shop.test/sale">www.shop.test/sale</a></p><p><a href="${U}">Unsubscribe</a></p>`;
    assert.deepEqual(
      lintContent({ subject: 'Winter sale: 30% off coats', html, text: `Sale ${U}`, unsubscribeUrl: U }),
      [],
    );
  });

  it('names each trick filters punish', () => {
    const html = `<img src="https://cdn.shop.test/a.png"><img src="https://cdn.shop.test/b.png"><a href="https://bit.ly/x">deal</a> <a href="https://evil.example/login">https://www.paypal.com/login</a>`;
    const findings = lintContent({ subject: 'FREE MONEY FOR YOU NOW', html, text: '', unsubscribeUrl: U });
    assert.deepEqual(ids(findings), [
      'all-caps-subject',
      'deceptive-link',
      'image-only',
      'no-text-part',
      'no-unsubscribe',
      'url-shortener',
    ]);
    assert.match(
      findings.find((f) => f.id === 'deceptive-link')!.detail,
      /shows paypal\.com but goes to evil\.example/,
    );
  });

  it('reads links with their visible text', () => {
    assert.deepEqual(
      linksIn(`<a class="x" href='https://a.test/?q=1&amp;r=2'><b>A</b> shop</a><a href=mailto:x@y.test>mail</a>`),
      [
        { href: 'https://a.test/?q=1&r=2', host: 'a.test', text: 'A shop' },
        { href: 'mailto:x@y.test', host: undefined, text: 'mail' },
      ],
    );
  });
});
