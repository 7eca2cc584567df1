import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayMailConfirmation } from './send-limits.js';

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
