import { randomBytes } from 'node:crypto';
import { encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';

/**
 * A lean multipart/alternative builder for campaign mail: quoted-printable text and HTML parts,
 * written with plain loops over bytes. nodemailer's composer streams every message through
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
  const display = ASCII_PRINTABLE.test(name) ? (/[()<>\[\]:;@\\,."]/.test(name) ? quoteString(name) : name) : encodeWords(name, 'Q', 52);
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

const HEX = '0123456789ABCDEF';

/**
 * Quoted-printable (RFC 2045 6.7) with CRLF line ends: bare LF and CRLF become hard breaks,
 * `=`, 8-bit bytes, controls, trailing white space and a leading dot are encoded, and lines
 * are soft-broken at 76 characters.
 */
export function quotedPrintable(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length * 3 + Math.ceil(input.length / 25) * 3 + 4);
  let o = 0;
  let line = 0;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const b = input[i] as number;
    if (b === 13 && input[i + 1] === 10) continue; // the LF that follows writes the break
    if (b === 10) {
      out[o++] = 13;
      out[o++] = 10;
      line = 0;
      continue;
    }
    const next = input[i + 1];
    const endOfLine = next === undefined || next === 10 || (next === 13 && input[i + 2] === 10);
    const encode = b === 61 || b > 126 || (b < 32 && b !== 9) || ((b === 32 || b === 9) && endOfLine) || (b === 46 && line === 0);
    const width = encode ? 3 : 1;
    // Keep room for a soft break (=) unless this character ends the line anyway.
    if (line + width > (endOfLine ? 76 : 75)) {
      out[o++] = 61;
      out[o++] = 13;
      out[o++] = 10;
      line = 0;
    }
    if (encode) {
      out[o++] = 61;
      out[o++] = HEX.charCodeAt(b >> 4);
      out[o++] = HEX.charCodeAt(b & 15);
    } else {
      out[o++] = b;
    }
    line += width;
  }
  return out.subarray(0, o);
}

/** The complete message bytes. */
export function buildMime(m: MimeInput): Buffer {
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
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '',
  ].join('\r\n');
  const middle = ['', `--${m.boundary}`, 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', ''].join('\r\n');
  return Buffer.concat([
    Buffer.from(head, 'utf8'),
    quotedPrintable(Buffer.from(m.text, 'utf8')),
    Buffer.from(middle),
    quotedPrintable(Buffer.from(m.html, 'utf8')),
    Buffer.from(`\r\n--${m.boundary}--\r\n`),
  ]);
}
