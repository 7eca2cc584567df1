import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { buildMime, formatDate, formatMailbox, newBoundary, quotedPrintable } from './mime.js';

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
    assert.equal(parsed.subject, 'Winterschlussverkauf für Jörg — bis zu 50 % Rabatt auf alle Mäntel und Stiefel in allen Größen');
    assert.equal(parsed.from?.value[0]?.name, 'Shöp News');
    assert.equal(parsed.text, text.replace(/\n/g, '\n'));
    assert.equal(parsed.html, html);
    assert.equal(parsed.messageId, '<x1@shop.test>');
    assert.equal(parsed.date?.toISOString(), '2026-11-27T09:05:03.000Z');
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
