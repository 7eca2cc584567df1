import type { Generated } from 'kysely';

// Lists, subscribers and their consent: who may be mailed, with the evidence, and the attributes and
// segments that choose among them. Times are epoch milliseconds in both dialects (bigint on
// PostgreSQL, parsed to number).

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

/** The type a list declares for a subscriber attribute. */
export interface ListAttributesTable {
  list_id: number;
  name: string;
  type: 'string' | 'number' | 'date' | 'boolean' | 'list';
  created_at: number;
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
