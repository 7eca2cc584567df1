import type { Generated } from 'kysely';

// Campaigns, automations and engagement: what is sent to whom, when, and what came of it. Times are
// epoch milliseconds in both dialects (bigint on PostgreSQL, parsed to number).

export type CampaignStatus =
  | 'draft'
  | 'scheduled'
  | 'running'
  | 'paused'
  | 'finished'
  | 'cancelled'
  | 'stopped_by_guard'
  /** The content of an automation's step (never sent as a campaign). */
  | 'automation';

export interface CampaignsTable {
  id: Generated<number>;
  list_id: number;
  subject: string;
  /** Liquid (or MJML with Liquid) source of the HTML part. */
  html: string;
  /** Liquid source of the text part; derived from the HTML when null. */
  text: string | null;
  format: 'html' | 'mjml';
  /** `newsletter`: the content goes into our branded layout; `none`: the HTML is the whole mail. */
  layout: Generated<'newsletter' | 'none'>;
  status: CampaignStatus;
  send_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  stop_reason: string | null;
  /** JSON result of the opt-out self-test run before the send. */
  self_test: string | null;
  /** The circuit breaker counts from here (set by a forced resume). */
  guard_since: number | null;
  /** JSON: what `campaigns send` approved (template, From, postal address, DKIM keys), sent as it is. */
  snapshot: string | null;
  /** The subscriber id the fan-out has queued up to while the campaign runs; null once done. */
  fanout_after: number | null;
  /** Delivered mail (sent and refused) when a forced resume restarted the circuit breaker's count. */
  guard_base: Generated<number>;
  /** The segment the campaign goes to (null: the whole list). */
  segment_id: number | null;
  /** The segment's filter as the campaign sends with it (copied when it starts). */
  audience_filter: string | null;
  /** JSON array of list ids whose confirmed subscribers are left out. */
  exclude_lists: string | null;
  /** JSON: an A/B subject test (ab-test.ts), then its decision. */
  ab: string | null;
  created_at: number;
  updated_at: number;
}

export interface AutomationsTable {
  id: Generated<number>;
  slug: string;
  list_id: number;
  trigger: 'confirmed' | 'event';
  event: string | null;
  /** JSON array of event names that end a person's run. */
  cancel_events: Generated<string>;
  status: 'active' | 'paused';
  stop_reason: string | null;
  /** The consent events a confirmation flow has read up to. */
  after_event_id: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface AutomationStepsTable {
  id: Generated<number>;
  automation_id: number;
  position: number;
  delay_ms: number;
  /** The step's content: a campaign row of status `automation`. */
  campaign_id: number;
  created_at: number;
}

export type AutomationRunStatus = 'waiting' | 'done' | 'cancelled' | 'stopped';

export interface AutomationRunsTable {
  id: Generated<number>;
  automation_id: number;
  subscriber_id: number;
  status: AutomationRunStatus;
  /** The next step to send. */
  position: number;
  due_at: number;
  /** JSON: the data of the event that started the run. */
  data: string | null;
  end_reason: string | null;
  started_at: number;
  updated_at: number;
}

export interface CampaignLinksTable {
  id: Generated<number>;
  campaign_id: number;
  url: string;
}

export interface EngagementTable {
  id: Generated<number>;
  kind: 'open' | 'click';
  outbox_id: number;
  campaign_id: number | null;
  subscriber_id: number | null;
  link_id: number | null;
  /** 1: a machine (a privacy proxy, a security scanner), left out of the rates. */
  machine: number;
  reason: string | null;
  at: number;
}

/** A campaign's mail per status (`queued` includes `sending`), in shards added up when read. */
export interface CampaignCountsTable {
  campaign_id: number;
  status: string;
  shard: number;
  n: number;
}
