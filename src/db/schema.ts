import type { Generated, Insertable, Selectable } from 'kysely';

// Times are epoch milliseconds in both dialects (bigint on PostgreSQL, parsed to number).

export interface ListsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  from_name: string | null;
  from_address: string;
  reply_to: string | null;
  /** JSON array of origins allowed to call the JSON signup route from a browser. */
  allowed_origins: string;
  created_at: number;
  updated_at: number;
  /** en, de, nl, fr or es: the language of its pages and mail. */
  language: Generated<string>;
  /** 1: the browser's Accept-Language chooses among the languages the list has a consent text in. */
  browser_language: Generated<number>;
  /** JSON object: the list's brand fields that differ from the shop-wide brand. */
  brand: Generated<string>;
  /** 1: links in its campaign mail go through signed redirects (off unless turned on). */
  track_clicks: Generated<number>;
  /** 1: its campaign mail carries an open pixel (off unless turned on). */
  track_opens: Generated<number>;
}

export interface ConsentTextsTable {
  id: Generated<number>;
  list_id: number;
  version: number;
  text: string;
  created_at: number;
  language: Generated<string>;
}

/** An uploaded brand image (the logo), served from our origin at /brand/<id>. */
export interface BrandAssetsTable {
  /** The first 32 hex digits of the image's SHA-256 and its extension, e.g. `3f…9a.png`. */
  id: string;
  content_type: string;
  bytes: Buffer;
  width: number;
  height: number;
  created_at: number;
}

export interface SubscribersTable {
  id: Generated<number>;
  /** Normalised address as given: trimmed, domain lower-cased and in punycode. */
  email: string;
  /** Lower-cased `email`: the identity used for uniqueness and suppression. */
  email_key: string;
  name: string | null;
  /** JSON object of custom attributes. */
  attributes: string;
  created_at: number;
  updated_at: number;
}

export type SubscriptionStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced';

export interface SubscriptionsTable {
  subscriber_id: number;
  list_id: number;
  status: SubscriptionStatus;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  unsubscribed_at: number | null;
  repermission_at: number | null;
}

export type ConsentEventType =
  | 'signup'
  | 'confirmation_sent'
  | 'confirmed'
  | 'unsubscribed'
  | 'complaint'
  | 'bounce'
  | 'imported'
  | 'erased'
  | 'purged';

/** Per mailbox (hashed, no address kept): confirmation mails to outside signups in the current day's window. */
export interface ConfirmationMailboxesTable {
  mailbox_hash: string;
  window_start: number;
  count: number;
}

/** Per recipient domain: the hour (epoch hours) its next confirmation mail goes in, and how many that hour holds. */
export interface ConfirmationDomainsTable {
  domain: string;
  hour: number;
  count: number;
}

export interface ConsentEventsTable {
  id: Generated<number>;
  subscriber_id: number | null;
  list_id: number | null;
  type: ConsentEventType;
  at: number;
  ip: string | null;
  user_agent: string | null;
  source: string | null;
  consent_text_id: number | null;
  /** JSON object with event-specific evidence. */
  detail: string | null;
}

export interface SuppressionsTable {
  /** Hex SHA-256 of the subscriber's `email_key`. */
  email_hash: string;
  reason: string;
  created_at: number;
}

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

/** The type a list declares for a subscriber attribute. */
export interface ListAttributesTable {
  list_id: number;
  name: string;
  type: 'string' | 'number' | 'date' | 'boolean' | 'list';
  created_at: number;
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

/** A named filter over one list's confirmed subscribers. */
export interface SegmentsTable {
  id: Generated<number>;
  slug: string;
  list_id: number;
  filter: string;
  created_at: number;
  updated_at: number;
}

/** A campaign's mail per status (`queued` includes `sending`), in shards added up when read. */
export interface CampaignCountsTable {
  campaign_id: number;
  status: string;
  shard: number;
  n: number;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  key_hash: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** The history of stored settings (`listwarden settings`): who changed what, when. */
export interface SettingChangesTable {
  id: Generated<number>;
  key: string;
  old_value: string | null;
  new_value: string | null;
  actor: string;
  at: number;
}

export type DkimKeyStatus = 'pending' | 'active' | 'retired';

/** DKIM keys: the private key sealed with AES-256-GCM under a key derived from the secret. */
export interface DkimKeysTable {
  id: Generated<number>;
  domain: string;
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  /** base64 of iv (12) | tag (16) | ciphertext of the PKCS#8 DER private key. */
  private_key: string;
  /** The `p=` of the DNS record: base64 SPKI (RSA) or the raw 32-byte key (Ed25519). */
  public_key: string;
  status: DkimKeyStatus;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}

export type UserRole = 'owner' | 'editor' | 'viewer';

/** People who use the console: a scrypt hash of the password, a role, the lockout state. */
export interface UsersTable {
  id: Generated<number>;
  email: string;
  password_hash: string;
  role: UserRole;
  failed_logins: Generated<number>;
  locked_until: number | null;
  last_login_at: number | null;
  created_at: number;
}

/** Console sessions: the SHA-256 of the cookie's token, never the token. */
export interface SessionsTable {
  token_hash: string;
  user_id: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** What was done in the console, by whom, and how it ended (the HTTP status). */
export interface ActivityTable {
  id: Generated<number>;
  at: number;
  user_id: number | null;
  /** The user's address when it happened (kept if the user is removed). */
  actor: string;
  /** e.g. `campaign.send`, `settings.set`, `login.failed`. */
  action: string;
  target: string | null;
  outcome: number;
  /** JSON with what else the action names (never a secret). */
  detail: string | null;
}

export type DailyMeasure =
  'delivered' | 'refused' | 'failed' | 'hard_bounce' | 'soft_bounce' | 'complaint' | 'unsubscribe';

/** Per UTC day (days since 1970) and measure, a running count. */
export interface DailyCountsTable {
  day: number;
  measure: DailyMeasure;
  count: number;
}

export type FeedbackChannel = 'smtp' | 'file' | 'api' | 'imap' | 'session';
export type FeedbackEventKind = 'hard_bounce' | 'soft_bounce' | 'complaint' | 'auto_reply' | 'notice';

export interface FeedbackEventsTable {
  id: Generated<number>;
  at: number;
  channel: FeedbackChannel;
  kind: FeedbackEventKind;
  /** The report's style: rfc3464, postfix, exim, qmail, exchange, gmail, yahoo, arf, jmrp, … */
  style: string;
  outbox_id: number | null;
  campaign_id: number | null;
  list_id: number | null;
  subscriber_id: number | null;
  recipient: string | null;
  status: string | null;
  diagnostic: string | null;
  /** What Listwarden did about it, in words. */
  action: string;
  report_message_id: string | null;
  /** 1 when the report is tied to a message we sent (or came with an API key); 0 changed nothing. */
  verified: Generated<number>;
  /** Why an unverified report was not trusted. */
  why: Generated<string | null>;
  /** The reason from the bounce taxonomy (feedback/reasons.ts), when the report gave one. */
  reason: Generated<string | null>;
}

export interface FeedbackQuarantineTable {
  id: Generated<number>;
  at: number;
  channel: FeedbackChannel;
  reason: string;
  size: number;
  raw: Buffer;
}

export interface ReputationChecksTable {
  id: Generated<number>;
  at: number;
  ip: string;
  range: number;
  self_listed: string;
  neighbours_listed: number;
  result: string;
  changes: string;
}

export interface AbuseReportsTable {
  id: Generated<number>;
  at: number;
  channel: FeedbackChannel;
  style: string;
  verdict: 'ours' | 'foreign';
  reporter: string | null;
  source_ip: string | null;
  report_type: string;
  reported_message_id: string | null;
  reported_from: string | null;
  report_message_id: string | null;
  outbox_id: number | null;
  campaign_id: number | null;
}

/** One run of the host audit; `findings` is the JSON of the findings, most severe first. */
export interface AuditRunsTable {
  id: Generated<number>;
  started_at: number;
  duration_ms: number;
  score: number;
  findings: string;
  passed: number;
  skipped: number;
  who: string;
}

export interface Tables {
  lists: ListsTable;
  consent_texts: ConsentTextsTable;
  brand_assets: BrandAssetsTable;
  subscribers: SubscribersTable;
  subscriptions: SubscriptionsTable;
  consent_events: ConsentEventsTable;
  confirmation_mailboxes: ConfirmationMailboxesTable;
  setting_changes: SettingChangesTable;
  dkim_keys: DkimKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  activity: ActivityTable;
  daily_counts: DailyCountsTable;
  confirmation_domains: ConfirmationDomainsTable;
  suppressions: SuppressionsTable;
  outbox: OutboxTable;
  api_keys: ApiKeysTable;
  settings: SettingsTable;
  campaigns: CampaignsTable;
  list_attributes: ListAttributesTable;
  segments: SegmentsTable;
  automations: AutomationsTable;
  automation_steps: AutomationStepsTable;
  automation_runs: AutomationRunsTable;
  campaign_links: CampaignLinksTable;
  engagement: EngagementTable;
  campaign_counts: CampaignCountsTable;
  feedback_events: FeedbackEventsTable;
  feedback_quarantine: FeedbackQuarantineTable;
  reputation_checks: ReputationChecksTable;
  abuse_reports: AbuseReportsTable;
  audit_runs: AuditRunsTable;
  tx_templates: TxTemplatesTable;
  tx_requests: TxRequestsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  inbound_webhooks: InboundWebhooksTable;
}

export type ListRow = Selectable<ListsTable>;
export type DkimKeyRow = Selectable<DkimKeysTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ActivityRow = Selectable<ActivityTable>;
export type SubscriberRow = Selectable<SubscribersTable>;
export type SubscriptionRow = Selectable<SubscriptionsTable>;
export type ConsentEventRow = Selectable<ConsentEventsTable>;
export type NewConsentEvent = Insertable<ConsentEventsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type TxTemplateRow = Selectable<TxTemplatesTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type FeedbackEventRow = Selectable<FeedbackEventsTable>;
