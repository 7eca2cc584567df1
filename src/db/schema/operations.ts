import type { Generated } from 'kysely';

// Running the installation: keys, settings, DKIM, console accounts, counts, feedback, reputation and
// the host audit. Times are epoch milliseconds in both dialects (bigint on PostgreSQL, parsed to
// number).

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
