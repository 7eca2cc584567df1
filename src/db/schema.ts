import type { Insertable, Selectable } from 'kysely';
import type * as people from './schema/people.js';
import type * as mail from './schema/mail.js';
import type * as marketing from './schema/marketing.js';
import type * as operations from './schema/operations.js';

// The database's tables as Kysely sees them, one file per area in ./schema/, and the row types the
// code passes around.
export type * from './schema/people.js';
export type * from './schema/mail.js';
export type * from './schema/marketing.js';
export type * from './schema/operations.js';

export interface Tables {
  lists: people.ListsTable;
  consent_texts: people.ConsentTextsTable;
  brand_assets: people.BrandAssetsTable;
  subscribers: people.SubscribersTable;
  subscriptions: people.SubscriptionsTable;
  consent_events: people.ConsentEventsTable;
  confirmation_mailboxes: people.ConfirmationMailboxesTable;
  setting_changes: operations.SettingChangesTable;
  dkim_keys: operations.DkimKeysTable;
  users: operations.UsersTable;
  sessions: operations.SessionsTable;
  activity: operations.ActivityTable;
  daily_counts: operations.DailyCountsTable;
  confirmation_domains: people.ConfirmationDomainsTable;
  suppressions: people.SuppressionsTable;
  outbox: mail.OutboxTable;
  api_keys: operations.ApiKeysTable;
  settings: operations.SettingsTable;
  campaigns: marketing.CampaignsTable;
  list_attributes: people.ListAttributesTable;
  segments: people.SegmentsTable;
  automations: marketing.AutomationsTable;
  automation_steps: marketing.AutomationStepsTable;
  automation_runs: marketing.AutomationRunsTable;
  campaign_links: marketing.CampaignLinksTable;
  engagement: marketing.EngagementTable;
  campaign_counts: marketing.CampaignCountsTable;
  feedback_events: operations.FeedbackEventsTable;
  feedback_quarantine: operations.FeedbackQuarantineTable;
  reputation_checks: operations.ReputationChecksTable;
  abuse_reports: operations.AbuseReportsTable;
  audit_runs: operations.AuditRunsTable;
  tx_templates: mail.TxTemplatesTable;
  tx_requests: mail.TxRequestsTable;
  webhook_endpoints: mail.WebhookEndpointsTable;
  webhook_events: mail.WebhookEventsTable;
  webhook_deliveries: mail.WebhookDeliveriesTable;
  webhook_attempts: mail.WebhookAttemptsTable;
  inbound_webhooks: mail.InboundWebhooksTable;
}

export type ListRow = Selectable<people.ListsTable>;
export type DkimKeyRow = Selectable<operations.DkimKeysTable>;
export type UserRow = Selectable<operations.UsersTable>;
export type SessionRow = Selectable<operations.SessionsTable>;
export type ActivityRow = Selectable<operations.ActivityTable>;
export type SubscriberRow = Selectable<people.SubscribersTable>;
export type SubscriptionRow = Selectable<people.SubscriptionsTable>;
export type ConsentEventRow = Selectable<people.ConsentEventsTable>;
export type NewConsentEvent = Insertable<people.ConsentEventsTable>;
export type OutboxRow = Selectable<mail.OutboxTable>;
export type TxTemplateRow = Selectable<mail.TxTemplatesTable>;
export type WebhookEndpointRow = Selectable<mail.WebhookEndpointsTable>;
export type ApiKeyRow = Selectable<operations.ApiKeysTable>;
export type CampaignRow = Selectable<marketing.CampaignsTable>;
export type FeedbackEventRow = Selectable<operations.FeedbackEventsTable>;
