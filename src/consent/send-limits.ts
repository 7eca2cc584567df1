/**
 * Anti-bombing limits on confirmation mail: a signup form must never become a way to flood
 * somebody's inbox from our server.
 */
export interface ConfirmationLimits {
  /** At most one mail per address and list within this window. */
  minIntervalMs: number;
  /** At most `maxPerDay` mails per address and list within any 24 hours. */
  maxPerDay: number;
  /** Outside signups: at most this many mails per mailbox (all lists, `+tag`s and Gmail dots folded) in 24 hours. */
  maxPerMailboxPerDay: number;
  /** Outside signups: at most this many mails per recipient domain in any hour; more wait for a later hour. */
  perDomainPerHour: number;
}

export const DEFAULT_CONFIRMATION_LIMITS: ConfirmationLimits = {
  minIntervalMs: 10 * 60_000,
  maxPerDay: 3,
  maxPerMailboxPerDay: 3,
  perDomainPerHour: 600,
};

/** The default limits with the per-mailbox and per-domain ones read from `settings` at each use. */
export function liveConfirmationLimits(
  settings: () => { perMailboxPerDay: number; perDomainPerHour: number },
): ConfirmationLimits {
  return {
    ...DEFAULT_CONFIRMATION_LIMITS,
    get maxPerMailboxPerDay() {
      return settings().perMailboxPerDay;
    },
    get perDomainPerHour() {
      return settings().perDomainPerHour;
    },
  };
}

const DAY_MS = 86_400_000;

/** How far back the caller must look for earlier mails to decide. */
export function lookbackMs(limits: ConfirmationLimits): number {
  return Math.max(DAY_MS, limits.minIntervalMs);
}

/** Decides from the times of earlier confirmation mails (any order) whether another may go now. */
export function mayMailConfirmation(
  earlierSends: readonly number[],
  now: number,
  limits: ConfirmationLimits = DEFAULT_CONFIRMATION_LIMITS,
  /** When the person last left the list: links sent before cannot confirm, so they do not hold the next one. */
  leftAt?: number,
): { allowed: true } | { allowed: false; reason: 'too_soon' | 'daily_limit' } {
  const recent = earlierSends.filter((t) => now - t < DAY_MS);
  const live = leftAt === undefined ? earlierSends : earlierSends.filter((t) => t > leftAt);
  if (live.some((t) => now - t < limits.minIntervalMs)) return { allowed: false, reason: 'too_soon' };
  if (recent.length >= limits.maxPerDay) return { allowed: false, reason: 'daily_limit' };
  return { allowed: true };
}
