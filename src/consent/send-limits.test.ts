import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainSlot, mayMailConfirmation } from './send-limits.js';

const MIN = 60_000;
const now = Date.UTC(2026, 10, 27, 12);

describe('confirmation mail limits', () => {
  it('allows the first mail', () => {
    assert.deepEqual(mayMailConfirmation([], now), { allowed: true });
  });

  it('allows one mail per 10 minutes', () => {
    assert.deepEqual(mayMailConfirmation([now - 9 * MIN], now), { allowed: false, reason: 'too_soon' });
    assert.deepEqual(mayMailConfirmation([now - 10 * MIN], now), { allowed: true });
  });

  it('allows three mails per day', () => {
    const three = [now - 60 * MIN, now - 120 * MIN, now - 180 * MIN];
    assert.deepEqual(mayMailConfirmation(three, now), { allowed: false, reason: 'daily_limit' });
    assert.deepEqual(mayMailConfirmation(three.slice(0, 2), now), { allowed: true });
    const oneAged = [now - 60 * MIN, now - 120 * MIN, now - 24 * 60 * MIN];
    assert.deepEqual(mayMailConfirmation(oneAged, now), { allowed: true });
  });
});

describe('domainSlot', () => {
  const HOUR = 3_600_000;
  it('lets mail go now while the last hour holds fewer than the ceiling', () => {
    assert.equal(domainSlot([], 1000, 2), 1000);
    assert.equal(domainSlot([900], 1000, 2), 1000);
  });
  it('puts the next mail one hour after the ceiling-th newest, so no hour holds more', () => {
    assert.equal(domainSlot([950, 900], 1000, 2), 900 + HOUR);
    assert.equal(domainSlot([900 + HOUR, 950, 900], 1000, 2), 950 + HOUR);
    assert.equal(domainSlot([10, 5], 10 + 2 * HOUR, 2), 10 + 2 * HOUR);
  });
});
