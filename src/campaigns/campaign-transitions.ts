import type { CampaignStatus } from '../db/schema.js';

/** What can happen to a campaign. */
export type CampaignEvent =
  'schedule' | 'start' | 'unschedule' | 'pause' | 'guard_stop' | 'resume' | 'force_resume' | 'finish' | 'cancel';

/** A status move: allowed from any of `from`, it leads to `to`. */
export interface CampaignMove {
  readonly from: readonly CampaignStatus[];
  readonly to: CampaignStatus;
}

/**
 * The campaign state machine: the only definition of which status follows which. The service,
 * the circuit breaker and the blocklist watch move campaigns only through these entries.
 */
export const CAMPAIGN_MOVES: Readonly<Record<CampaignEvent, CampaignMove>> = {
  /** `send --at` in the future. */
  schedule: { from: ['draft'], to: 'scheduled' },
  /** `send` now, or a scheduled campaign whose time has come, after its checks passed. */
  start: { from: ['draft', 'scheduled'], to: 'running' },
  /** A scheduled campaign that failed its checks at start goes back to draft with the reason. */
  unschedule: { from: ['scheduled'], to: 'draft' },
  /** By a person, or by the blocklist watch when one of our IPs is listed. */
  pause: { from: ['running'], to: 'paused' },
  /** By the circuit breaker; only a forced resume starts it again. */
  guard_stop: { from: ['running'], to: 'stopped_by_guard' },
  resume: { from: ['paused'], to: 'running' },
  force_resume: { from: ['paused', 'stopped_by_guard'], to: 'running' },
  /** Nothing left to send. */
  finish: { from: ['running'], to: 'finished' },
  cancel: { from: ['draft', 'scheduled', 'running', 'paused'], to: 'cancelled' },
};

/** Whether `event` may happen to a campaign in `status`. */
export function canMove(status: CampaignStatus, event: CampaignEvent): boolean {
  return CAMPAIGN_MOVES[event].from.includes(status);
}

/** The statuses a campaign can reach from `status` in one move. */
export function nextStatuses(status: CampaignStatus): CampaignStatus[] {
  return [
    ...new Set(
      Object.values(CAMPAIGN_MOVES)
        .filter((m) => m.from.includes(status))
        .map((m) => m.to),
    ),
  ];
}
