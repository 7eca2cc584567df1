import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildMime, encodePart, formatDate, formatMailbox, newBoundary, quotedPrintable } from './mime.js';

describe('lean MIME', () => {
  it('round-trips through a real parser: headers, text and HTML exactly', async () => {
    const text = 'Hallo Jörg,\n\nwinter sale: 20% off = real.\n.leading dot\ntrailing space \nend';
    const html = `<p>Hallo Jörg — ${'€'.repeat(50)}</p>\n<a href="https://shop.test/u/${'A'.repeat(43)}?x=1&y=2">Unsubscribe</a>`;
    const raw = buildMime({
      from: formatMailbox('Shöp News', 'news@shop.test'),
      to: 'joerg@example.test',
      replyTo: 'help@shop.test',
      subject: 'Winterschlussverkauf für Jörg — bis zu 50 % Rabatt auf alle Mäntel und Stiefel in allen Größen',
      messageId: '<x1@shop.test>',
      date: new Date(Date.UTC(2026, 10, 27, 9, 5, 3)),
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      text,
      html,
      boundary: newBoundary(),
    });
    const s = raw.toString('latin1');
    assert.equal(/[^\r]\n/.test(s), false, 'no bare LF');
    assert.ok(s.split('\r\n').every((line) => line.length <= 998));
    assert.ok(/^[\x00-\x7f]*$/.test(s), '7-bit clean');
    const parsed = await simpleParser(raw);
    assert.equal(
      parsed.subject,
      'Winterschlussverkauf für Jörg — bis zu 50 % Rabatt auf alle Mäntel und Stiefel in allen Größen',
    );
    assert.equal(parsed.from?.value[0]?.name, 'Shöp News');
    assert.equal(parsed.text, text.replace(/\n/g, '\n'));
    assert.equal(parsed.html, html);
    assert.equal(parsed.messageId, '<x1@shop.test>');
    assert.equal(parsed.date?.toISOString(), '2026-11-27T09:05:03.000Z');
  });

  it('sends plain ASCII with short lines as it is (7bit), and round-trips it exactly', async () => {
    const text = 'Hello Ann,\n\nwinter sale: 20% off = real.\n.leading dot\ntrailing space \n\tend';
    const html = `<p>Hello Ann</p>\n${'<b>x</b>'.repeat(124)}\n<a href="https://shop.test/u/${'A'.repeat(43)}?x=1&y=2">Unsubscribe</a>`;
    const raw = buildMime({
      from: 'news@shop.test',
      to: 'ann@example.test',
      subject: 'Sale',
      messageId: '<x2@shop.test>',
      date: new Date(Date.UTC(2026, 10, 27, 9, 5, 3)),
      headers: {},
      text,
      html,
      boundary: newBoundary(),
    });
    const s = raw.toString('latin1');
    assert.equal(s.match(/Content-Transfer-Encoding: 7bit\r\n/g)?.length, 2, s.slice(0, 800));
    assert.equal(/[^\r]\n/.test(s), false, 'no bare LF');
    const parsed = await simpleParser(raw);
    assert.equal(parsed.text, text);
    assert.equal(parsed.html, html);
  });

  it('takes quoted-printable for 8-bit text, a bare CR, a line over 998 characters or the boundary', () => {
    const boundary = newBoundary();
    assert.equal(encodePart(`${'a'.repeat(998)}\r\n${'b'.repeat(998)}`, boundary).encoding, '7bit');
    for (const text of [
      'Jörg',
      'a\rb',
      `${'a'.repeat(999)}\nb`,
      `ok\n${'c'.repeat(999)}`,
      '\u0000',
      '\u001b[31m',
      `x\n--${boundary}\nContent-Type: text/html\n\n<b>injected</b>`,
    ])
      assert.equal(encodePart(text, boundary).encoding, 'quoted-printable', JSON.stringify(text.slice(0, 40)));
  });

  it("keeps a part whole when a reader's own value holds the boundary", async () => {
    const boundary = newBoundary();
    const html = `<p>Hi x\r\n--${boundary}\r\nContent-Type: text/html\r\n\r\n<b>injected</b></p>`;
    const raw = buildMime({
      from: 'news@shop.test',
      to: 'ann@example.test',
      subject: 'Sale',
      messageId: '<x3@shop.test>',
      date: new Date(),
      headers: {},
      text: 'plain',
      html,
      boundary,
    });
    const parsed = await simpleParser(raw);
    assert.equal(parsed.html, html.replace(/\r\n/g, '\n'));
    assert.equal(parsed.text, 'plain');
    assert.equal(parsed.attachments.length, 0);
  });

  it('quoted-printable keeps lines at 76 characters and encodes what it must', () => {
    const out = quotedPrintable(Buffer.from(`${'a'.repeat(200)}=\n.x \n\t\nü`)).toString('latin1');
    for (const line of out.split('\r\n')) assert.ok(line.length <= 76, line);
    assert.match(out, /=3D\r\n=2Ex=20\r\n=09\r\n=C3=BC$/);
  });

  it('formats dates and mailboxes', () => {
    assert.equal(formatDate(new Date(Date.UTC(2026, 0, 5, 7, 8, 9))), 'Mon, 5 Jan 2026 07:08:09 +0000');
    assert.equal(formatMailbox(null, 'a@b.test'), 'a@b.test');
    assert.equal(formatMailbox('Shop, Inc.', 'a@b.test'), '"Shop, Inc." <a@b.test>');
    assert.match(formatMailbox('Шоп', 'a@b.test'), /^=\?UTF-8\?Q\?.+\?= <a@b\.test>$/);
  });
});

describe('quoted-printable round trip', () => {
  /** RFC 2045 decoding, written plainly for the test. */
  function decode(qp: string): Buffer {
    const bytes: number[] = [];
    const text = qp.replace(/=\r\n/g, '');
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '=') {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(text.charCodeAt(i));
      }
    }
    return Buffer.from(bytes);
  }

  it('decodes back to the input for random text with CRLF line ends', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'abc XYZ.=\t-€ü\u0000<>"\'\r\n';
    for (let n = 0; n < 300; n++) {
      const length = Math.floor(random() * 400);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const normalised = Buffer.from(text.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n'), 'utf8');
      const encoded = quotedPrintable(Buffer.from(text, 'utf8')).toString('latin1');
      for (const line of encoded.split('\r\n')) {
        assert.ok(line.length <= 76, `line of ${line.length}: ${JSON.stringify(line)}`);
        assert.ok(!/[ \t]$/.test(line), 'no trailing white space');
        assert.ok(/^[\x21-\x7e \t]*$/.test(line), 'printable ASCII only');
        assert.ok(!line.startsWith('.') || line === '', 'no leading dot');
      }
      assert.deepEqual(decode(encoded), normalised, JSON.stringify(text));
    }
  });
});
