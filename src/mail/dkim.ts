import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { systemClock } from '../shared/clock.js';

/**
 * DKIM signing (RFC 6376, relaxed/relaxed) with node:crypto: RSA-SHA256, and Ed25519-SHA256
 * (RFC 8463) as an optional second signature. nodemailer signs RSA only, and signing with a
 * `KeyObject` instead of PEM text is several times faster per message.
 */
export interface DkimKey {
  domain: string;
  selector: string;
  key: KeyObject;
}

/** A stored key ready to sign with (`dkim_keys` row id). */
export type SigningKey = DkimKey & { id: number };

/** The domain of the first From address of a message, lower-case; undefined when there is none. */
export function fromDomain(raw: Buffer): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = '\r\n' + raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const match = /\r\nfrom:((?:[^\r]|\r\n[ \t])*)/i.exec(head);
  const value = match?.[1] ?? '';
  // The address in angle brackets when there is one (a display name may hold an @ of its own).
  const domain = (/<[^<>]*@([A-Za-z0-9.-]+)>/.exec(value) ?? /@([A-Za-z0-9.-]+)/.exec(value))?.[1];
  return domain?.toLowerCase().replace(/\.$/, '');
}

/** The headers every signature covers when present (List-* so the opt-out cannot be stripped). */
export const SIGNED_HEADERS = [
  'from',
  'to',
  'subject',
  'date',
  'message-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'mime-version',
  'content-type',
  'reply-to',
  'feedback-id',
];

/** Loads a PEM private key (RSA or Ed25519) once. */
export function loadDkimKey(domain: string, selector: string, pem: string | Buffer): DkimKey {
  const key = createPrivateKey(pem);
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`DKIM keys must be RSA or Ed25519, not ${type}`);
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024)
    throw new Error('DKIM RSA keys must have at least 1024 bits (2048 recommended)');
  return { domain: domain.toLowerCase(), selector, key };
}

/** Splits a message into its header block (without the blank line) and its body. */
function split(raw: Buffer): { head: string; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { head: raw.toString('binary'), body: Buffer.alloc(0) };
  return { head: raw.subarray(0, end).toString('binary'), body: raw.subarray(end + 4) };
}

/** Relaxed body canonicalisation and its SHA-256, base64. */
export function bodyHash(body: Buffer): string {
  // Fast path: a body that relaxed canonicalisation leaves as it is, apart from trailing empty
  // lines (true of quoted-printable parts), is hashed as it is.
  if (alreadyRelaxed(body)) {
    let end = body.length;
    while (end >= 4 && body[end - 1] === 10 && body[end - 2] === 13 && body[end - 3] === 10 && body[end - 4] === 13)
      end -= 2;
    const hash = createHash('sha256');
    if (end === 2 && body[0] === 13 && body[1] === 10) return hash.digest('base64');
    hash.update(body.subarray(0, end));
    if (end > 0 && !(body[end - 2] === 13 && body[end - 1] === 10)) hash.update('\r\n');
    return hash.digest('base64');
  }
  return slowBodyHash(body);
}

/**
 * One pass over the bytes: CRLF line ends only, no tab, no run of spaces, no space before a line
 * end or at the end. Anything else (even a bare CR, which would be fine) takes the slow path.
 */
function alreadyRelaxed(body: Buffer): boolean {
  const n = body.length;
  for (let i = 0; i < n; i++) {
    const b = body[i] as number;
    if (b > 32) continue;
    if (b === 32) {
      const next = body[i + 1];
      if (next === 32 || next === 13 || next === undefined) return false;
    } else if (b === 13) {
      if (body[i + 1] !== 10) return false;
      i++;
    } else if (b === 10 || b === 9) return false;
  }
  return true;
}

function slowBodyHash(body: Buffer): string {
  // Verifiers treat a bare LF as a line end too; so do we, so the hash matches either way.
  const lines = body.toString('binary').split(/\r?\n/);
  const canonical = lines.map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (canonical.length > 0 && canonical[canonical.length - 1] === '') canonical.pop();
  const text = canonical.length === 0 ? '' : canonical.join('\r\n') + '\r\n';
  return createHash('sha256').update(text, 'binary').digest('base64');
}

/** Header fields as [lower-case name, unfolded relaxed value], in order. */
function fields(head: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const field of head.split(/\r\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field
      .slice(colon + 1)
      .replace(/\r\n/g, '')
      .replace(/[ \t]+/g, ' ')
      .trim();
    out.push([name, value]);
  }
  return out;
}

/** What must be signed for one key: the header value up to `b=` and the canonical data. */
export interface PendingSignature {
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  value: string;
  data: Buffer;
}

/**
 * Everything but the private-key operation: body hash, the headers to sign (those in
 * SIGNED_HEADERS that are present, each instance bottom-up as RFC 6376 5.4.2 says) and the data
 * each key signs. Cheap; the signing itself can then run on another thread.
 */
export function prepareSignatures(
  raw: Buffer,
  keys: ReadonlyArray<Pick<DkimKey, 'domain' | 'selector'> & { algorithm: PendingSignature['algorithm'] }>,
  now = systemClock.now(),
): PendingSignature[] {
  const { head, body } = split(raw);
  const bh = bodyHash(body);
  const all = fields(head);
  const chosen: string[] = [];
  const names: string[] = [];
  const used = new Set<number>();
  for (const name of SIGNED_HEADERS) {
    for (let i = all.length - 1; i >= 0; i--) {
      const [fieldName, value] = all[i] as [string, string];
      if (fieldName !== name || used.has(i)) continue;
      used.add(i);
      chosen.push(`${name}:${value}`);
      names.push(name);
    }
  }
  const t = Math.floor(now / 1000);
  const signedHeaders = chosen.join('\r\n');
  return keys.map((k) => {
    const value = `v=1; a=${k.algorithm}; c=relaxed/relaxed; d=${k.domain}; s=${k.selector}; t=${t}; h=${names.join(':')}; bh=${bh}; b=`;
    return {
      algorithm: k.algorithm,
      value,
      data: Buffer.from(`${signedHeaders}\r\ndkim-signature:${value}`, 'binary'),
    };
  });
}

/** The private-key operation for one prepared signature; returns base64. */
export function signPrepared(pending: PendingSignature, key: KeyObject): string {
  return pending.algorithm === 'ed25519-sha256'
    ? sign(null, createHash('sha256').update(pending.data).digest(), key).toString('base64')
    : sign('sha256', pending.data, key).toString('base64');
}

export function algorithmOf(key: DkimKey): PendingSignature['algorithm'] {
  return key.key.asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
}

/** The DKIM-Signature header lines for a message, one per key in key order, each ending in CRLF. */
export function signatureHeaders(raw: Buffer, keys: readonly DkimKey[], now = systemClock.now()): string {
  const pending = prepareSignatures(
    raw,
    keys.map((k) => ({ ...k, algorithm: algorithmOf(k) })),
    now,
  );
  return pending.map((p, i) => `DKIM-Signature: ${p.value}${signPrepared(p, (keys[i] as DkimKey).key)}\r\n`).join('');
}

/** The message with its DKIM-Signature headers prepended. */
export function withSignatureHeaders(raw: Buffer, headers: string): Buffer {
  return Buffer.concat([Buffer.from(headers, 'binary'), raw]);
}

/** Signs in this thread: returns the message with DKIM-Signature headers prepended, one per key. */
export function dkimSign(raw: Buffer, keys: readonly DkimKey[], now = systemClock.now()): Buffer {
  if (keys.length === 0) return raw;
  return withSignatureHeaders(raw, signatureHeaders(raw, keys, now));
}
