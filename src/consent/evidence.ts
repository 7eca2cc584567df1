import type { ClientContext } from './client-context.js';

/**
 * The evidence each consent event keeps in its `detail`, one shape per event type. Who and from
 * where (IP, browser, page or source) are columns of the event; the consent operation adds
 * `previousStatus` to every status change. docs/architecture.md lists these shapes.
 */

/** How the person opted out. */
export type OptOutMethod = 'one-click' | 'unsubscribe page' | 'preference centre' | 'mailto' | 'shop';

/** `signup`: the form, API or CLI call that asked for the subscription. */
export interface SignupEvidence {
  channel: ClientContext['channel'];
  apiKey?: string;
  /** `deliverable`, `unverified: <why>`: what DNS said about the domain. */
  domainCheck: string;
}

/** `confirmed`: the confirmation link was used. */
export interface ConfirmEvidence {
  channel: ClientContext['channel'];
  method: string;
  linkIssuedAt: string;
}

/** `unsubscribed`: the person left. */
export interface UnsubscribeEvidence {
  method: OptOutMethod;
}

/** `complaint` and `bounce`: a report about a message we sent, or a refusal in our SMTP session. */
export interface FeedbackEvidence {
  channel: string;
  style: string;
  status?: string;
  diagnostic?: string;
  remoteMta?: string;
  feedbackType?: string;
  userAgent?: string;
  sourceIp?: string;
  reportMessageId?: string;
  outboxId?: number;
  messageId?: string;
  campaignId?: number | null;
  classification?: 'hard' | 'soft';
  softBounces?: number;
  windowDays?: number;
}

/** `imported`: a row of an import file (with the proof the file carried, or a scheduled re-permission mail). */
export type ImportEvidence =
  | { channel: 'import'; line: number; proof: { confirmedAt: string; confirmIp: string | null } }
  | { channel: 'import'; line: number; confirmationMail: string };

/**
 * `imported` of a shop's customer whom the shop itself confirmed (Shopify's `confirmed_opt_in`):
 * the shop's proof, as its webhook carried it.
 */
export interface ShopProofEvidence {
  channel: 'shopify';
  customerId: string;
  optInLevel: string;
  consentUpdatedAt: string;
}

/** `confirmation_sent`: the transport accepted the confirmation mail. */
export interface ConfirmationSentEvidence {
  messageId: string;
  response: string;
  attempt: number;
}

/** The evidence that goes with each action of the state machine. */
export interface EvidenceByAction {
  signup: SignupEvidence;
  confirm: ConfirmEvidence;
  unsubscribe: UnsubscribeEvidence;
  complaint: FeedbackEvidence;
  bounce: FeedbackEvidence;
  import_with_proof: ShopProofEvidence;
}
