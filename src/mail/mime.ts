import { randomBytes } from 'node:crypto';
import { encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';

/**
 * A lean multipart/alternative builder for campaign mail: text and HTML parts as they are when
 * they are plain ASCII with short lines, else quoted-printable. nodemailer's composer streams every message through
 * several transforms (about 2 ms for 20 KB here); this takes a small fraction of that, which
 * matters at thousands of messages per second. Low-volume mail keeps using nodemailer.
 */
export interface MimeInput {
  from: string;
  to: string;
  replyTo?: string | null;
  subject: string;
  messageId: string;
  date: Date;
  /** Extra headers with ASCII values (List-Unsubscribe, Feedback-ID, …). */
  headers: Record<string, string>;
  text: string;
  html: string;
  boundary: string;
}

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A fresh multipart boundary (one per campaign is enough). */
export function newBoundary(): string {
  return `=_lw_${randomBytes(12).toString('hex')}`;
}

/** `Name <address>` as a header value, RFC 2047-encoded when the name is not plain ASCII. */
export function formatMailbox(name: string | null | undefined, address: string): string {
  if (!name) return address;
  const display = ASCII_PRINTABLE.test(name)
    ? /[()<>[\]:;@\\,."]/.test(name)
      ? quoteString(name)
      : name
    : encodeWords(name, 'Q', 52);
  return `${display} <${address}>`;
}

/** RFC 5322 date in UTC. */
export function formatDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function headerText(value: string, name: string): string {
  const encoded = ASCII_PRINTABLE.test(value) ? value : encodeWords(value, 'Q', 52);
  return foldLines(`${name}: ${encoded}`, 76).replace(/\r?\n/g, '\r\n');
}

const ESCAPES: string[] = Array.from({ length: 256 }, (_, b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
const ESCAPE = (c: string) => ESCAPES[c.charCodeAt(0)] as string;

/**
 * Quoted-printable (RFC 2045 6.7) with CRLF line ends: bare LF and CRLF become hard breaks,
 * `=`, 8-bit bytes, controls, trailing white space and a leading dot are encoded, and lines
 * are soft-broken at 76 characters. Built from native regular expressions over the bytes as
 * latin1 text, which is many times faster than a byte loop in JavaScript.
 */
export function quotedPrintable(input: Buffer): Buffer {
  const lines = input
    .toString('latin1')
    .replace(/\r\n/g, '\n')
    .replace(/[=\x00-\x08\x0b-\x1f\x7f-\xff]/g, ESCAPE)
    .split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    const last = line.charCodeAt(line.length - 1);
    if (last === 32 || last === 9) line = line.slice(0, -1) + (last === 32 ? '=20' : '=09');
    if (line.charCodeAt(0) === 46) line = `=2E${line.slice(1)}`;
    if (line.length > 76) {
      const pieces: string[] = [];
      let at = 0;
      while (line.length - at > 76) {
        let cut = at + 75;
        // Never split an =XX escape across a soft break.
        if (line.charCodeAt(cut - 1) === 61) cut -= 1;
        else if (line.charCodeAt(cut - 2) === 61) cut -= 2;
        pieces.push(`${line.slice(at, cut)}=`);
        // A continuation line must not start with a dot either (SMTP reads it as the end marker).
        if (line.charCodeAt(cut) === 46) line = `${line.slice(0, cut)}=2E${line.slice(cut + 1)}`;
        at = cut;
      }
      pieces.push(line.slice(at));
      line = pieces.join('\r\n');
    }
    lines[i] = line;
  }
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** Anything but tab, line ends and printable ASCII, or a CR that does not start a CRLF. */
const NOT_SEVEN_BIT = /[^\t\n\r\x20-\x7e]|\r(?!\n)/;
/** RFC 5322 2.1.1: at most 998 characters on a line, without its CRLF. */
const MAX_LINE = 998;

/**
 * A text part as it goes into the message: plain ASCII with short lines goes as it is (`7bit`,
 * with CRLF line ends: no encoding work per message, as most mail is sent), anything else as
 * quoted-printable. A leading dot needs nothing here: the SMTP client dot-stuffs. A text that
 * holds the boundary (a reader's own value could, the boundary being in every copy) goes
 * quoted-printable, where `=` is encoded and no line can end the part.
 */
export function encodePart(text: string, boundary: string): { encoding: '7bit' | 'quoted-printable'; body: Buffer } {
  if (!NOT_SEVEN_BIT.test(text) && !text.includes(boundary)) {
    let longest = 0;
    for (let at = 0; at <= text.length;) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const length = end - at - (text.charCodeAt(end - 1) === 13 ? 1 : 0);
      if (length > longest) longest = length;
      at = end + 1;
    }
    if (longest <= MAX_LINE) return { encoding: '7bit', body: Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1') };
  }
  return { encoding: 'quoted-printable', body: quotedPrintable(Buffer.from(text, 'utf8')) };
}

/** The complete message bytes. */
export function buildMime(m: MimeInput): Buffer {
  const text = encodePart(m.text, m.boundary);
  const html = encodePart(m.html, m.boundary);
  const head = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    ...(m.replyTo ? [`Reply-To: ${m.replyTo}`] : []),
    headerText(m.subject, 'Subject'),
    `Date: ${formatDate(m.date)}`,
    `Message-ID: ${m.messageId}`,
    ...Object.entries(m.headers).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${m.boundary}"`,
    '',
    `--${m.boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${text.encoding}`,
    '',
    '',
  ].join('\r\n');
  const middle = [
    '',
    `--${m.boundary}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Transfer-Encoding: ${html.encoding}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([
    Buffer.from(head, 'utf8'),
    text.body,
    Buffer.from(middle),
    html.body,
    Buffer.from(`\r\n--${m.boundary}--\r\n`),
  ]);
}
