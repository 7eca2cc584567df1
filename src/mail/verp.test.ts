import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVerpCodec } from './verp.js';

describe('VERP return paths', () => {
  const verp = createVerpCodec(['a-secret-that-is-long-enough-for-tests']);

  it('names the outbox row in a short, lower-case local part', () => {
    const address = verp.address(123_456, 'bounce.shop.test');
    assert.match(address, /^bounces\+[a-z2-7]{26}@bounce\.shop\.test$/);
    assert.ok(address.split('@')[0]!.length <= 64);
    assert.equal(verp.outboxIdOf(address), 123_456);
    assert.equal(
      verp.outboxIdOf(`<${address.toUpperCase()}>`),
      123_456,
      'an MTA that folds case does not lose the bounce',
    );
    assert.equal(verp.outboxIdOf(verp.address(2 ** 48 - 1, 'x.test')), 2 ** 48 - 1);
  });

  it('rejects forged, truncated and foreign addresses', () => {
    const address = verp.address(42, 'shop.test');
    const local = address.slice(0, address.indexOf('@'));
    const flipped = `${local.slice(0, -1)}${local.endsWith('a') ? 'b' : 'a'}@shop.test`;
    assert.equal(verp.outboxIdOf(flipped), undefined);
    assert.equal(verp.outboxIdOf(address.slice(0, 20)), undefined);
    assert.equal(verp.outboxIdOf('bounces@shop.test'), undefined);
    assert.equal(
      verp.outboxIdOf(createVerpCodec(['another-secret-entirely-different']).address(42, 'shop.test')),
      undefined,
    );
    assert.equal(verp.outboxIdOf('x'.repeat(10_000)), undefined);
  });

  it('keeps working after a secret rotation', () => {
    const old = createVerpCodec(['old-secret-old-secret-old-secret']);
    const rotated = createVerpCodec(['new-secret-new-secret-new-secret', 'old-secret-old-secret-old-secret']);
    assert.equal(rotated.outboxIdOf(old.address(7, 'shop.test')), 7);
  });
});
