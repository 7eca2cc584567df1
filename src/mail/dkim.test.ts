import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bodyHash } from './dkim.js';

/** RFC 6376 3.4.4 relaxed body canonicalisation, written the slow and obvious way. */
function reference(body: string): string {
  const lines = body.split(/\r?\n/).map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const canonical = lines.length === 0 ? '' : lines.join('\r\n') + '\r\n';
  return createHash('sha256').update(canonical, 'latin1').digest('base64');
}

describe('DKIM body hash (relaxed)', () => {
  it('matches the reference canonicalisation on fast and slow paths', () => {
    const bodies = [
      '',
      '\r\n',
      '\r\n\r\n',
      'a',
      'a\r\n',
      'a\r\n\r\n\r\n',
      'a\r\nb',
      'line one\r\nline two\r\n',
      'a  b\r\n',
      'a\t\tb \r\n',
      'trailing \r\n',
      'bare\nlf\n',
      '\r\n\r\nstart',
      'x \r\n\r\n',
      'q=3D=20\r\n.dot\r\n',
      ' lead\r\n',
      'end ',
    ];
    for (const body of bodies)
      assert.equal(bodyHash(Buffer.from(body, 'latin1')), reference(body), JSON.stringify(body));
  });

  it('matches the reference for 5,000 random bodies of spaces, tabs, CR, LF and text (fixed seed)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = [' ', ' ', '\t', '\r', '\n', '\r\n', '\r\n', 'a', 'b', '=', '.'];
    for (let n = 0; n < 5000; n++) {
      let body = '';
      for (let i = Math.floor(random() * 40); i > 0; i--) body += alphabet[Math.floor(random() * alphabet.length)];
      assert.equal(bodyHash(Buffer.from(body, 'latin1')), reference(body), JSON.stringify(body));
    }
  });
});
