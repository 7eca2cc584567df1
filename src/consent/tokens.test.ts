import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenCodec } from './tokens.js';

const SECRET = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const DAY = 86_400_000;

describe('tokens', () => {
  const codec = createTokenCodec([SECRET]);

  it('round-trips the claims and is 43 url-safe characters', () => {
    const now = Date.UTC(2026, 10, 27, 9, 0, 0);
    const token = codec.sign('confirm', 123456789, 42, now);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const check = codec.verify(token, 'confirm', { maxAgeMs: 7 * DAY, now: now + DAY });
    assert.deepEqual(check, {
      ok: true,
      claims: { purpose: 'confirm', subscriberId: 123456789, listId: 42, issuedAt: now },
    });
  });

  it('rejects a token signed with another secret as forged', () => {
    const token = createTokenCodec([OTHER]).sign('confirm', 1, 1);
    assert.equal(codec.verify(token, 'confirm').ok, false);
    assert.deepEqual(codec.verify(token, 'confirm'), { ok: false, reason: 'forged' });
  });

  it('rejects every single-character tampering', () => {
    const token = codec.sign('unsubscribe', 77, 3);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < token.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(token[i] as string) + 1) % 64] as string;
      const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
      const check = codec.verify(tampered, 'unsubscribe');
      assert.equal(check.ok, false, `position ${i} accepted`);
    }
  });

  it('rejects a token made for another purpose', () => {
    const token = codec.sign('unsubscribe', 5, 6);
    assert.deepEqual(codec.verify(token, 'confirm'), { ok: false, reason: 'forged' });
  });

  it('reports expiry only after the signature is valid', () => {
    const issued = Date.UTC(2026, 0, 1);
    const token = codec.sign('confirm', 9, 9, issued);
    const check = codec.verify(token, 'confirm', { maxAgeMs: 7 * DAY, now: issued + 7 * DAY + 1000 });
    assert.equal(check.ok, false);
    assert.equal(!check.ok && check.reason, 'expired');
    assert.equal(!check.ok && check.claims?.subscriberId, 9);
  });

  it('treats garbage as malformed', () => {
    for (const bad of ['', 'abc', 'x'.repeat(43) + '=', '../../etc/passwd', 'é'.repeat(43), 'A'.repeat(200)]) {
      assert.deepEqual(codec.verify(bad, 'confirm'), { ok: false, reason: 'malformed' });
    }
  });

  it('keeps tokens of a rotated secret valid while new ones use the new secret', () => {
    const old = createTokenCodec([OTHER]).sign('confirm', 10, 2);
    const rotated = createTokenCodec([SECRET, OTHER]);
    assert.equal(rotated.verify(old, 'confirm').ok, true);
    const fresh = rotated.sign('confirm', 10, 2);
    assert.equal(createTokenCodec([SECRET]).verify(fresh, 'confirm').ok, true);
    assert.equal(createTokenCodec([OTHER]).verify(fresh, 'confirm').ok, false);
  });

  it('refuses ids it cannot encode', () => {
    assert.throws(() => codec.sign('confirm', 0, 1), RangeError);
    assert.throws(() => codec.sign('confirm', 2 ** 48, 1), RangeError);
    assert.throws(() => codec.sign('confirm', 1, -1), RangeError);
  });
});
