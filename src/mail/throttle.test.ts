import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Throttle, warmupCap } from './throttle.js';

const settings = {
  globalRate: 0,
  destinationRate: 4,
  destinationMinRate: 1,
  pauseAfterDeferralMs: 10_000,
  maxPauseMs: 60_000,
};

describe('throttle', () => {
  it('paces each destination at its rate and keeps destinations apart', () => {
    const t = new Throttle(settings, 0);
    const admitted = Array.from({ length: 6 }, () => t.admit('mx.gmail.test', 0).ok);
    assert.deepEqual(admitted, [true, true, true, true, false, false]);
    assert.equal(t.admit('mx.other.test', 0).ok, true, 'another destination has its own budget');
    const later = t.admit('mx.gmail.test', 0);
    assert.ok(!later.ok && later.retryAt === 250, 'the next token comes after 1/4 s');
    assert.equal(t.admit('mx.gmail.test', 250).ok, true);
  });

  it('halves the rate and rests the destination after a deferral, doubling the rest each time', () => {
    const t = new Throttle(settings, 0);
    t.deferred('mx.yahoo.test', 1000);
    assert.equal(t.rateOf('mx.yahoo.test'), 2);
    const r = t.admit('mx.yahoo.test', 5000);
    assert.ok(!r.ok && r.retryAt === 11_000);
    t.deferred('mx.yahoo.test', 11_000);
    assert.equal(t.rateOf('mx.yahoo.test'), 1);
    const r2 = t.admit('mx.yahoo.test', 12_000);
    assert.ok(!r2.ok && r2.retryAt === 31_000, 'the second rest is twice as long');
    assert.equal(t.admit('mx.yahoo.test', 31_000).ok, true);
    t.delivered('mx.yahoo.test', 31_000);
    assert.equal(t.rateOf('mx.yahoo.test'), 2, 'success grows the rate back by one');
  });

  it('applies a global rate over all destinations', () => {
    const t = new Throttle({ ...settings, globalRate: 2 }, 0);
    assert.deepEqual(
      ['a', 'b', 'c'].map((d) => t.admit(d, 0).ok),
      [true, true, false],
    );
  });

  it('computes warm-up caps', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((d) => warmupCap(500, 2, d)),
      [500, 1000, 2000, 4000],
    );
  });
});
