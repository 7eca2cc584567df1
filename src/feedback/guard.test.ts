import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BurstCounter, DEFAULT_GUARD, guardVerdict } from './guard.js';

describe('circuit breaker rules', () => {
  it('waits for enough deliveries before judging rates', () => {
    assert.equal(
      guardVerdict('campaign 1', { deliveries: 999, complaints: 50, hardBounces: 500 }, DEFAULT_GUARD),
      undefined,
    );
  });

  it('stops above 0.1% complaints and names the figures', () => {
    assert.equal(
      guardVerdict('campaign 1', { deliveries: 1000, complaints: 1, hardBounces: 0 }, DEFAULT_GUARD),
      undefined,
      'exactly 0.1% is allowed',
    );
    const reason = guardVerdict('campaign 1', { deliveries: 1000, complaints: 2, hardBounces: 0 }, DEFAULT_GUARD);
    assert.match(reason ?? '', /campaign 1: complaint rate 0\.2% \(2 of 1000 delivered\) is above the limit of 0\.1%/);
  });

  it('stops above 2% hard bounces', () => {
    assert.equal(guardVerdict('d', { deliveries: 2000, complaints: 0, hardBounces: 40 }, DEFAULT_GUARD), undefined);
    assert.match(
      guardVerdict('shop.test', { deliveries: 2000, complaints: 0, hardBounces: 41 }, DEFAULT_GUARD) ?? '',
      /hard-bounce rate 2\.05%/,
    );
  });

  it('counts bursts over a sliding window', () => {
    const burst = new BurstCounter(1000);
    assert.equal(burst.record('a', 0), 1);
    assert.equal(burst.record('a', 500), 2);
    assert.equal(burst.record('b', 600), 1);
    assert.equal(burst.record('a', 1400), 2, 'the event at 0 left the window');
  });
});
