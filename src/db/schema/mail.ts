import type { Generated } from 'kysely';

// Outgoing mail and its streams: the outbox, transactional templates and requests, webhooks out and
// in. Times are epoch milliseconds in both dialects (bigint on PostgreSQL, parsed to number).

export type OutboxKind = 'confirmation' | 'campaign' | 'notification' | 'data_link' | 'transactional' | 'automation';

/** `held`: queued mail of a paused campaign, not claimable until it resumes. */
export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'failed' | 'bounced' | 'cancelled' | 'held';

export interface OutboxTable {
  id: Generated<number>;
  kind: OutboxKind;
  campaign_id: number | null;
  list_id: number | null;
  subscriber_id: number | null;
  message_id: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  leased_by: string | null;
  last_error: string | null;
  response: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  /** JSON content of a notification (owner alerts) or a transactional message; null for other kinds. */
  payload: string | null;
  /** A transactional message's recipient: SHA-256 of the lower-cased address (erasure finds it). */
  recipient_hash: string | null;
  /** An automation's mail: the run and the step (unique together: a step is queued once). */
  automation_run_id: Generated<number | null>;
  automation_step: Generated<number | null>;
  /** An automation's mail: its flow (its mail is counted by status from an index). */
  automation_id: Generated<number | null>;
}

export interface TxTemplatesTable {
  id: Generated<number>;
  slug: string;
  name: string;
  format: 'liquid' | 'mjml';
  subject: string;
  html: string;
  text: string | null;
  from_address: string | null;
  /** 1: passes complaint and unsubscribe suppression (a password reset); hard bounces still stop it. */
  essential: number;
  created_at: number;
  updated_at: number;
}

export interface TxRequestsTable {
  idempotency_key: string;
  /** SHA-256 of the request's content: the same key with other content is refused. */
  request_hash: string;
  outbox_id: number;
  created_at: number;
}

export interface WebhookEndpointsTable {
  id: Generated<number>;
  url: string;
  /** JSON array of event types. */
  events: string;
  description: string | null;
  /** The endpoint's signing secret, sealed under the installation's secret. */
  secret_sealed: string;
  enabled: number;
  /** Since when every delivery failed (null: the last one succeeded). */
  failing_since: number | null;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookEventsTable {
  id: Generated<number>;
  type: string;
  /** JSON of the event's data. */
  payload: string;
  created_at: number;
}

export type WebhookDeliveryStatus = 'queued' | 'sending' | 'delivered';

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  endpoint_id: number;
  event_id: number;
  ordering_key: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  leased_by: string | null;
  last_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  at: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface InboundWebhooksTable {
  source: string;
  delivery_id: string;
  received_at: number;
}
