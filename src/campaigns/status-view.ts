import type { Database } from '../db/database.js';
import type { CampaignRow, CampaignStatus } from '../db/schema.js';
import { campaignFeedbackCounts } from '../feedback/feedback.repo.js';
import type { ListsService } from '../lists/lists.service.js';
import { campaignCounts } from '../mail/campaign-counts.repo.js';
import { sentSince } from '../mail/campaign-outbox.repo.js';
import { readAbTest, type AbTest } from './ab-test.js';
import type { Audiences, AudienceView } from './audience.js';
import type { SelfTestResult } from './opt-out-self-test.js';

/** `campaigns status --json`. */
export interface CampaignStatusView {
  id: number;
  list: string;
  subject: string;
  status: CampaignStatus;
  total: number;
  sent: number;
  failed: number;
  deferred: number;
  bounced: number;
  queued: number;
  held: number;
  cancelled: number;
  ratePerSecond: number;
  /** Reports received after delivery (DSN, ARF) plus refusals in our own SMTP session. */
  feedback: {
    hardBounces: number;
    softBounces: number;
    complaints: number;
    hardBounceRate: number;
    complaintRate: number;
  };
  selfTest: SelfTestResult | null;
  sendAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  stopReason: string | null;
  audience: AudienceView;
  /** An A/B subject test and, once decided, its winner. */
  ab: AbTest | null;
}

/** The seconds the rate is measured over: the last minute, or since the start when that is shorter. */
const rateWindowSeconds = (startedAt: number | null, now: number) =>
  startedAt === null ? 60 : Math.min(60, Math.max(1, (now - startedAt) / 1000));

export const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** A campaign's status (`campaigns status`): counts kept as mail moves, the same cost at any list size. */
export async function statusView(
  deps: { database: Database; lists: ListsService; audiences: Audiences; now: number },
  campaign: CampaignRow,
): Promise<CampaignStatusView> {
  // Counts kept as mail moves, and the last minute's marks: the same cost at any list size.
  const [counts, recent, list, reports, audience] = await Promise.all([
    campaignCounts(deps.database.db, campaign.id),
    sentSince(deps.database.db, campaign.id, deps.now - 60_000),
    deps.lists.requireListById(campaign.list_id),
    campaignFeedbackCounts(deps.database.db, campaign.id),
    deps.audiences.view(campaign),
  ]);
  const n = (s: keyof typeof counts) => counts[s] ?? 0;
  const delivered = n('sent') + n('bounced');
  const rate = (x: number) => (delivered === 0 ? 0 : Math.round((x / delivered) * 1e6) / 1e6);
  return {
    id: campaign.id,
    list: list.slug,
    subject: campaign.subject,
    status: campaign.status,
    total: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0),
    sent: n('sent'),
    failed: n('failed'),
    deferred: n('deferred'),
    bounced: n('bounced'),
    queued: n('queued'),
    held: n('held'),
    cancelled: n('cancelled'),
    // Over the last minute, or since the start when it started less than a minute ago.
    ratePerSecond: Math.round((recent / rateWindowSeconds(campaign.started_at, deps.now)) * 10) / 10,
    feedback: {
      hardBounces: reports.hard_bounce,
      softBounces: reports.soft_bounce,
      complaints: reports.complaint,
      hardBounceRate: rate(reports.hard_bounce),
      complaintRate: rate(reports.complaint),
    },
    selfTest: campaign.self_test ? (JSON.parse(campaign.self_test) as SelfTestResult) : null,
    sendAt: iso(campaign.send_at),
    startedAt: iso(campaign.started_at),
    finishedAt: iso(campaign.finished_at),
    stopReason: campaign.stop_reason,
    audience,
    ab: readAbTest(campaign.ab),
  };
}
