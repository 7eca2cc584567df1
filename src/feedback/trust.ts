import type { FeedbackChannel } from '../db/schema.js';

/** Whether a report may act on a subscriber, and why not. */
export type Trust = { verified: true } | { verified: false; why: string };

/**
 * Doors where the sender's word is enough: the admin API (an API key holder) and our own SMTP
 * session (the receiver answered us directly).
 */
const TRUSTED_CHANNELS: ReadonlySet<FeedbackChannel> = new Set(['api', 'session']);

/** What the intake found that ties a report to mail we sent. */
export interface TrustEvidence {
  channel: FeedbackChannel;
  /** How the report was tied to an outbox row, if at all. */
  tiedBy: 'verp' | 'message-id' | undefined;
  /** A `bounces+…@` address was on the report but its token did not verify. */
  forgedVerp: boolean;
  /** The address the tied message went to (normalised), when we still know it. */
  sentTo: string | undefined;
  messageId: string | undefined;
  /** The recipients the report itself names. */
  named: readonly string[];
}

/** Providers hide the complaining address in ARF reports (`redacted@…`, `xxxxx@…`, `*****@…`). */
function isRedacted(address: string): boolean {
  const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
  return /redacted|^[x*]+$|^\*|undisclosed/.test(local) || address.toLowerCase().endsWith('.invalid');
}

/**
 * The trust rule: a report acts only when it is tied to a message we sent (a verified VERP token,
 * or the enclosed original's Message-ID in our outbox) and names that message's recipient (or
 * nobody, or a redacted address). Reports through the admin API or our own SMTP session act on
 * their sender's word.
 */
export function judgeTrust(evidence: TrustEvidence): Trust {
  if (TRUSTED_CHANNELS.has(evidence.channel)) return { verified: true };
  if (!evidence.tiedBy) {
    return {
      verified: false,
      why: evidence.forgedVerp
        ? 'its VERP address carries a token that does not verify'
        : 'it names no message we sent (no verified VERP token, no Message-ID of ours)',
    };
  }
  const named = evidence.named.map((a) => a.toLowerCase()).filter((a) => !isRedacted(a));
  if (evidence.sentTo !== undefined && named.length > 0 && !named.includes(evidence.sentTo.toLowerCase())) {
    return {
      verified: false,
      why: `it is about ${named[0]}, but the message ${evidence.messageId ?? ''} it names went to another address`.replace(
        '  ',
        ' ',
      ),
    };
  }
  return { verified: true };
}
