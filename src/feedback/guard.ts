/**
 * The circuit breaker's rules, pure. Mailbox providers judge a sender by complaint and bounce
 * rates (Gmail: complaints under 0.1%, never above 0.3%); a campaign that crosses a limit stops
 * before it drags the IPs and the domain down.
 */
export interface GuardSettings {
  /** Complaints per delivered message above which sending stops (0.001 = 0.1%). */
  complaintRate: number;
  /** Hard bounces per delivered message above which sending stops (0.02 = 2%). */
  hardBounceRate: number;
  /** Rates are judged only after this many deliveries. */
  minDeliveries: number;
  /** Sliding window for the per-domain rates. */
  windowMs: number;
  /** 4xx deferrals from one destination within `deferralWindowMs` that stop a campaign. */
  deferralBurst: number;
  deferralWindowMs: number;
  /** Refusals about us (blocked, spam, policy…) from one provider within `deferralWindowMs` that stop a campaign. */
  refusalBurst: number;
}

export const DEFAULT_GUARD: GuardSettings = {
  complaintRate: 0.001,
  hardBounceRate: 0.02,
  minDeliveries: 1000,
  windowMs: 24 * 3_600_000,
  deferralBurst: 100,
  deferralWindowMs: 10 * 60_000,
  refusalBurst: 20,
};

export interface GuardStats {
  deliveries: number;
  complaints: number;
  hardBounces: number;
}

const percent = (x: number) => `${(x * 100).toFixed(2).replace(/\.?0+$/, '')}%`;

/** Why `scope` must stop, or undefined. */
export function guardVerdict(scope: string, stats: GuardStats, settings: GuardSettings): string | undefined {
  if (stats.deliveries < settings.minDeliveries || stats.deliveries === 0) return undefined;
  const complaints = stats.complaints / stats.deliveries;
  if (complaints > settings.complaintRate) {
    return `${scope}: complaint rate ${percent(complaints)} (${stats.complaints} of ${stats.deliveries} delivered) is above the limit of ${percent(settings.complaintRate)}`;
  }
  const bounces = stats.hardBounces / stats.deliveries;
  if (bounces > settings.hardBounceRate) {
    return `${scope}: hard-bounce rate ${percent(bounces)} (${stats.hardBounces} of ${stats.deliveries} delivered) is above the limit of ${percent(settings.hardBounceRate)}`;
  }
  return undefined;
}

/** Counts events per key over a sliding window (deferrals per campaign and destination). */
export class BurstCounter {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Records one event at `now` and returns how many fell within the window. */
  record(key: string, now: number): number {
    const list = (this.times.get(key) ?? []).filter((t) => t > now - this.windowMs);
    list.push(now);
    if (this.times.size > 10_000) this.times.clear();
    this.times.set(key, list);
    return list.length;
  }

  forget(prefix: string): void {
    for (const key of this.times.keys()) if (key.startsWith(prefix)) this.times.delete(key);
  }
}
