import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newMessageId, uuidV7 } from './message-id.js';

describe('message ids', () => {
  it('are RFC 9562 version 7 UUIDs ordered by time', () => {
    const a = uuidV7(Date.UTC(2026, 0, 1));
    const b = uuidV7(Date.UTC(2026, 0, 1) + 1);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(a < b);
    assert.equal(a.slice(0, 13), '019b76da-a800', 'the first 48 bits are the milliseconds');
  });

  it('wrap the id in angle brackets with the sending domain', () => {
    assert.match(newMessageId('shop.test', Date.now()), /^<[0-9a-f-]{36}@shop\.test>$/);
    assert.notEqual(newMessageId('shop.test', Date.now()), newMessageId('shop.test', Date.now()));
  });
});
