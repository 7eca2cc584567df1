/** When to try a failed delivery again; pure so the schedule is tested without waiting. */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  /** Fraction of random spread, so retries of one outage do not arrive together. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 30_000,
  maxDelayMs: 4 * 3_600_000,
  maxAttempts: 10,
  jitter: 0.1,
};

export type RetryDecision = { retry: true; at: number } | { retry: false; reason: string };

/** Decides after failed attempt number `attempts` (1-based); a permanent failure is never retried. */
export function nextAttempt(
  attempts: number,
  permanent: boolean,
  now: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): RetryDecision {
  if (permanent) return { retry: false, reason: 'permanent failure' };
  if (attempts >= policy.maxAttempts) return { retry: false, reason: `gave up after ${attempts} attempts` };
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const spread = delay * policy.jitter * (random() * 2 - 1);
  return { retry: true, at: now + Math.round(delay + spread) };
}
