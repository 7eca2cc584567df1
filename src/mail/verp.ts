import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * VERP return paths: `bounces+<token>@<bounce domain>`, where the token names the outbox row, so
 * any bounce maps to its recipient even when the DSN itself is malformed or names nobody.
 *
 * Token: outbox id (uint48) and the first 10 bytes of HMAC-SHA256 over it under an HKDF-derived
 * key, 16 bytes in lower-case base32 (26 characters). Lower case because some MTAs fold the case
 * of local parts; the local part stays at 34 characters, far under the 64 of RFC 5321.
 */
export interface VerpCodec {
  /** The envelope sender for one outbox row. */
  address(outboxId: number, domain: string): string;
  /** The outbox id named by a return-path address (any case), or undefined when it is not ours. */
  outboxIdOf(address: string): number | undefined;
}

export const VERP_PREFIX = 'bounces';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_BYTES = 6;
const TAG_BYTES = 10;
const TOKEN_CHARS = 26;

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer | undefined {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const n = ALPHABET.indexOf(ch);
    if (n < 0) return undefined;
    value = ((value << 5) | n) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

export function createVerpCodec(secrets: readonly string[]): VerpCodec {
  if (secrets.length === 0) throw new Error('createVerpCodec needs at least one secret');
  const keys = secrets.map((s) => Buffer.from(hkdfSync('sha256', s, 'listwarden', 'verp/v1', 32)));
  const tag = (key: Buffer, id: Buffer) => createHmac('sha256', key).update(id).digest().subarray(0, TAG_BYTES);

  return {
    address(outboxId, domain) {
      if (!Number.isSafeInteger(outboxId) || outboxId < 1 || outboxId > 2 ** 48 - 1)
        throw new RangeError('outbox id out of range');
      const id = Buffer.alloc(ID_BYTES);
      id.writeUIntBE(outboxId, 0, ID_BYTES);
      return `${VERP_PREFIX}+${base32(Buffer.concat([id, tag(keys[0] as Buffer, id)]))}@${domain}`;
    },

    outboxIdOf(address) {
      if (typeof address !== 'string' || address.length > 320) return undefined;
      const match = /^<?bounces\+([a-z2-7]{26})@[^@\s>]+>?$/i.exec(address.trim());
      if (!match) return undefined;
      const token = (match[1] as string).toLowerCase();
      const raw = token.length === TOKEN_CHARS ? unbase32(token) : undefined;
      if (!raw || raw.length !== ID_BYTES + TAG_BYTES || base32(raw) !== token) return undefined;
      const id = raw.subarray(0, ID_BYTES);
      const given = raw.subarray(ID_BYTES);
      let valid = false;
      for (const key of keys) valid = timingSafeEqual(tag(key, id), given) || valid;
      return valid ? id.readUIntBE(0, ID_BYTES) || undefined : undefined;
    },
  };
}
