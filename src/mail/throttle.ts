import { systemClock } from '../shared/clock.js';

/**
 * Pacing for bulk mail, pure state over a clock: a global rate, a warm-up daily cap, and per
 * destination (the recipient domain's MX host, as Google advises) a rate that halves on every
 * 4xx and grows back slowly on success, with a pause after a deferral.
 */
export interface ThrottleSettings {
  /** Messages per second over all destinations; 0 means no limit. */
  globalRate: number;
  /** Starting and maximum messages per second per destination. */
  destinationRate: number;
  destinationMinRate: number;
  /** How long a destination rests after a 4xx, doubled per consecutive deferral, capped. */
  pauseAfterDeferralMs: number;
  maxPauseMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  globalRate: 0,
  destinationRate: 50,
  destinationMinRate: 1,
  pauseAfterDeferralMs: 30_000,
  maxPauseMs: 30 * 60_000,
};

interface Bucket {
  rate: number;
  tokens: number;
  refilledAt: number;
}

interface Destination extends Bucket {
  pausedUntil: number;
  deferrals: number;
}

export type Admission = { ok: true } | { ok: false; retryAt: number; reason: string };

function refill(bucket: Bucket, now: number): void {
  bucket.tokens = Math.min(Math.max(1, bucket.rate), bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rate);
  bucket.refilledAt = now;
}

function nextToken(bucket: Bucket, now: number): number {
  return now + Math.ceil(((1 - bucket.tokens) / bucket.rate) * 1000);
}

export class Throttle {
  private readonly destinations = new Map<string, Destination>();
  private readonly global: Bucket;

  constructor(
    private readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
    now = systemClock.now(),
  ) {
    this.global = { rate: settings.globalRate, tokens: Math.max(1, settings.globalRate), refilledAt: now };
  }

  private destination(key: string, now: number): Destination {
    let d = this.destinations.get(key);
    if (!d) {
      d = {
        rate: this.settings.destinationRate,
        tokens: this.settings.destinationRate,
        refilledAt: now,
        pausedUntil: 0,
        deferrals: 0,
      };
      if (this.destinations.size > 50_000) this.destinations.clear();
      this.destinations.set(key, d);
    }
    return d;
  }

  /** Takes a slot for one message to `key`, or says when to try again. */
  admit(key: string, now: number): Admission {
    // The settings may change while the process runs (stored settings are reloaded).
    if (this.global.rate !== this.settings.globalRate) {
      this.global.rate = this.settings.globalRate;
      this.global.tokens = Math.min(this.global.tokens, Math.max(1, this.global.rate));
    }
    const d = this.destination(key, now);
    if (d.rate > this.settings.destinationRate) d.rate = this.settings.destinationRate;
    if (d.pausedUntil > now) return { ok: false, retryAt: d.pausedUntil, reason: `${key} deferred recently` };
    refill(d, now);
    if (d.tokens < 1) return { ok: false, retryAt: nextToken(d, now), reason: `${key} at ${d.rate.toFixed(1)}/s` };
    if (this.settings.globalRate > 0) {
      refill(this.global, now);
      if (this.global.tokens < 1)
        return { ok: false, retryAt: nextToken(this.global, now), reason: `global rate ${this.settings.globalRate}/s` };
      this.global.tokens -= 1;
    }
    d.tokens -= 1;
    return { ok: true };
  }

  /** A delivery to `key` succeeded: the rate grows back by one message per second. */
  delivered(key: string, now: number): void {
    const d = this.destination(key, now);
    d.deferrals = 0;
    d.rate = Math.min(this.settings.destinationRate, d.rate + 1);
  }

  /** A 4xx or a connection failure from `key`: halve its rate and let it rest. */
  deferred(key: string, now: number): void {
    const d = this.destination(key, now);
    d.deferrals += 1;
    d.rate = Math.max(this.settings.destinationMinRate, d.rate / 2);
    d.tokens = Math.min(d.tokens, 0);
    d.pausedUntil =
      now + Math.min(this.settings.maxPauseMs, this.settings.pauseAfterDeferralMs * 2 ** (d.deferrals - 1));
  }

  rateOf(key: string): number | undefined {
    return this.destinations.get(key)?.rate;
  }
}

/** Warm-up: the daily cap on day `day` (0 = the first sending day) is start × factor^day. */
export function warmupCap(start: number, factor: number, day: number): number {
  return Math.floor(start * factor ** Math.max(0, day));
}
