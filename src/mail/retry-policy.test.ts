import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_POLICY, nextAttempt } from './retry-policy.js';

const noJitter = () => 0.5;

describe('retry policy', () => {
  it('backs off exponentially from the base delay', () => {
    const delays = [1, 2, 3, 4].map((n) => {
      const d = nextAttempt(n, false, 0, DEFAULT_RETRY_POLICY, noJitter);
      assert.ok(d.retry);
      return d.at;
    });
    assert.deepEqual(delays, [30_000, 60_000, 120_000, 240_000]);
  });

  it('caps the delay', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 20 };
    const d = nextAttempt(12, false, 0, policy, noJitter);
    assert.ok(d.retry);
    assert.equal(d.at, DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('never retries a permanent failure', () => {
    assert.deepEqual(nextAttempt(1, true, 0), { retry: false, reason: 'permanent failure' });
  });

  it('gives up after the last attempt', () => {
    assert.equal(nextAttempt(10, false, 0).retry, false);
  });

  it('spreads retries by the jitter fraction', () => {
    const low = nextAttempt(1, false, 0, DEFAULT_RETRY_POLICY, () => 0);
    const high = nextAttempt(1, false, 0, DEFAULT_RETRY_POLICY, () => 1);
    assert.ok(low.retry && high.retry);
    assert.equal(low.at, 27_000);
    assert.equal(high.at, 33_000);
  });
});
