import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../shared/clock.js';

/**
 * The one token format of Listwarden (confirmation, unsubscribe, preference links).
 *
 * 16-byte payload: version(1) purpose(1) subscriber(6, uint48) list(4, uint32) issued-at(4, unix s),
 * followed by the first 16 bytes of HMAC-SHA256 over it; 32 bytes in all, 43 base64url characters.
 * A 128-bit tag is the truncation RFC 2104 allows; it keeps links short in mail.
 */
/** `click` and `open` (engagement tracking) carry an outbox row in the subscriber field and a link id in the list field. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'data' | 'click' | 'open';

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  listId: number;
  issuedAt: number;
}

export type TokenCheck =
  { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired'; claims?: TokenClaims };

export interface TokenCodec {
  sign(purpose: TokenPurpose, subscriberId: number, listId: number, now?: number): string;
  /** Verifies the tag against every secret, then the purpose, then the age when `maxAgeMs` is given. */
  verify(token: string, purpose: TokenPurpose, options?: { maxAgeMs?: number; now?: number }): TokenCheck;
}

const VERSION = 1;
const PAYLOAD_BYTES = 16;
const TAG_BYTES = 16;
const TOKEN_CHARS = 43;
const PURPOSE_CODES: Record<TokenPurpose, number> = {
  confirm: 1,
  unsubscribe: 2,
  preferences: 3,
  data: 4,
  click: 5,
  open: 6,
};
const PURPOSES = Object.fromEntries(Object.entries(PURPOSE_CODES).map(([k, v]) => [v, k])) as Record<
  number,
  TokenPurpose
>;
const MAX_UINT48 = 2 ** 48 - 1;
const MAX_UINT32 = 2 ** 32 - 1;

/** Derives a token key per secret so the raw secret is never used directly as an HMAC key. */
function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'listwarden', 'tokens/v1', 32));
}

/** Builds the codec: `secrets[0]` signs, all of them verify, so a rotated secret keeps old links working. */
export function createTokenCodec(secrets: readonly string[], clock: Clock = systemClock): TokenCodec {
  if (secrets.length === 0) throw new Error('createTokenCodec needs at least one secret');
  const keys = secrets.map(deriveKey);
  const tag = (key: Buffer, payload: Buffer) =>
    createHmac('sha256', key).update(payload).digest().subarray(0, TAG_BYTES);

  return {
    sign(purpose, subscriberId, listId, now = clock.now()) {
      if (!Number.isSafeInteger(subscriberId) || subscriberId < 1 || subscriberId > MAX_UINT48) {
        throw new RangeError('subscriberId out of range');
      }
      if (!Number.isSafeInteger(listId) || listId < 0 || listId > MAX_UINT32)
        throw new RangeError('listId out of range');
      const payload = Buffer.alloc(PAYLOAD_BYTES);
      payload.writeUInt8(VERSION, 0);
      payload.writeUInt8(PURPOSE_CODES[purpose], 1);
      payload.writeUIntBE(subscriberId, 2, 6);
      payload.writeUInt32BE(listId, 8);
      payload.writeUInt32BE(Math.floor(now / 1000), 12);
      return Buffer.concat([payload, tag(keys[0] as Buffer, payload)]).toString('base64url');
    },

    verify(token, purpose, options = {}) {
      if (typeof token !== 'string' || token.length !== TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) {
        return { ok: false, reason: 'malformed' };
      }
      const raw = Buffer.from(token, 'base64url');
      // Re-encoding must give the same text: rejects non-canonical trailing bits.
      if (raw.length !== PAYLOAD_BYTES + TAG_BYTES || raw.toString('base64url') !== token) {
        return { ok: false, reason: 'malformed' };
      }
      const payload = raw.subarray(0, PAYLOAD_BYTES);
      const given = raw.subarray(PAYLOAD_BYTES);
      let valid = false;
      for (const key of keys) {
        // Compare with every key, without stopping early, so timing does not tell which matched.
        valid = timingSafeEqual(tag(key, payload), given) || valid;
      }
      if (!valid) return { ok: false, reason: 'forged' };
      const tokenPurpose = PURPOSES[payload.readUInt8(1)];
      if (payload.readUInt8(0) !== VERSION || tokenPurpose !== purpose) return { ok: false, reason: 'forged' };
      const claims: TokenClaims = {
        purpose: tokenPurpose,
        subscriberId: payload.readUIntBE(2, 6),
        listId: payload.readUInt32BE(8),
        issuedAt: payload.readUInt32BE(12) * 1000,
      };
      if (options.maxAgeMs !== undefined && (options.now ?? clock.now()) - claims.issuedAt > options.maxAgeMs) {
        return { ok: false, reason: 'expired', claims };
      }
      return { ok: true, claims };
    },
  };
}
