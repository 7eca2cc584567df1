import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import type { FeedbackChannel, FeedbackEventKind, OutboxRow, SubscriberRow } from '../db/schema.js';
import type { VerpCodec } from '../mail/verp.js';
import { AppError } from '../shared/app-error.js';
import { findSubscriberById, findSubscriberByKey } from '../subscribers/subscribers.repo.js';
import { readTxPayload } from '../transactional/tx-payload.js';
import { applyFeedback, type FeedbackTarget, type SoftBounceRule } from './actions.js';
import { judgeTrust } from './trust.js';
import { providerOf } from './providers.js';
import { SENDER_SIDE } from './reasons.js';
import { outboxById, outboxByMessageId } from '../mail/outbox.repo.js';
import { quarantine, quarantineCount, recentFeedback, seenReport } from './feedback.repo.js';
import type { Guard } from './guard.service.js';
import { kindOf, reasonOf } from './reasons.js';
import { parseFeedback, type ParsedFeedback, type ReportedRecipient } from './parse-feedback.js';
import { systemClock, type Clock } from '../shared/clock.js';

export interface FeedbackDeps {
  database: Database;
  verp: VerpCodec;
  guard: Guard;
  logger: Logger;
  softBounces: SoftBounceRule;
  clock?: Clock;
  /** Abuse reports addressed to the host (X-ARF, and ARF about a message that is not ours). */
  abuse?: {
    record(
      trx: Db,
      report: ParsedFeedback,
      outbox: OutboxRow | undefined,
      channel: FeedbackChannel,
    ): Promise<'ours' | 'foreign'>;
  };
}

/** One message as `feedback parse` explains it. */
export interface FeedbackExplanation {
  kind: FeedbackEventKind | 'unreadable';
  verified: boolean;
  why: string;
  recipients: Array<{ address: string; kind: string; reason: string; status: string; diagnostic: string }>;
}

export type IngestOutcome =
  | {
      outcome: 'applied' | 'duplicate';
      kind: FeedbackEventKind;
      style: string;
      action: string;
      campaignId: number | null;
    }
  | { outcome: 'quarantined'; reason: string; quarantineId: number };

export interface IngestSummary {
  messages: number;
  applied: number;
  duplicates: number;
  quarantined: number;
  kinds: Partial<Record<FeedbackEventKind, number>>;
}

/**
 * Feedback intake: every channel (inbound SMTP, files, HTTP, our own SMTP session) ends here.
 * Parse (pure) → identify whose mail it was (VERP, then the original's Message-ID, then the
 * address) → apply in one transaction → let the circuit breaker judge the campaign.
 * What cannot be read is kept in the quarantine with the reason; nothing is dropped.
 */
export function createFeedbackService(deps: FeedbackDeps) {
  const { database, verp } = deps;
  const clock = deps.clock ?? systemClock;
  const { db } = database;

  /**
   * What the circuit breaker hears of an applied report, once its transaction committed:
   * complaints and hard bounces, and refusals that are about us.
   */
  async function tellGuard(
    campaignId: number | null,
    kind: FeedbackEventKind,
    entry: ReportedRecipient | undefined,
    recipient: string | undefined,
  ): Promise<void> {
    if (campaignId === null) return;
    if (kind === 'complaint' || kind === 'hard_bounce') await deps.guard.afterFeedback(campaignId);
    const reason = entry?.reason;
    if (kind === 'soft_bounce' && reason && SENDER_SIDE.has(reason)) {
      const provider = providerOf(recipient ?? entry?.address ?? '');
      await deps.guard.afterRefusal(campaignId, provider, reason, entry?.diagnostic ?? '');
    }
  }

  /**
   * Whose mail the report is about, and whether it may act: a verified VERP token, or our
   * original's Message-ID (then the trust rule in trust.ts). Only the admin API falls back to the
   * address the report names.
   */
  async function identify(
    trx: Db,
    report: ParsedFeedback,
    envelope: readonly string[],
    channel: FeedbackChannel,
  ): Promise<FeedbackTarget> {
    let outbox: OutboxRow | undefined;
    let tiedBy: 'verp' | 'message-id' | undefined;
    const candidates = [...envelope, ...report.deliveredTo, report.original?.returnPath].filter(
      (a): a is string => typeof a === 'string',
    );
    for (const address of candidates) {
      const id = verp.outboxIdOf(address);
      if (id !== undefined) {
        outbox = await outboxById(trx, id);
        if (outbox) {
          tiedBy = 'verp';
          break;
        }
      }
    }
    // Message-IDs are stored as written in the header, with angle brackets.
    if (!outbox && report.original?.messageId) {
      outbox = await outboxByMessageId(trx, `<${report.original.messageId}>`);
      if (outbox) tiedBy = 'message-id';
    }
    // Transactional mail names its recipient in the row (they need not be a subscriber).
    const txRecipient = outbox?.kind === 'transactional' ? readTxPayload(outbox.payload)?.to.toLowerCase() : undefined;
    let subscriber = outbox?.subscriber_id
      ? await findSubscriberById(trx, outbox.subscriber_id)
      : txRecipient
        ? await findSubscriberByKey(trx, txRecipient)
        : undefined;
    const reported = report.recipients.map((r) => r.address).filter((a): a is string => a !== undefined);
    const named =
      reported.length > 0
        ? reported
        : [report.original?.hotmailRecipient, report.original?.to].filter((a): a is string => a !== undefined);
    const trust = judgeTrust({
      channel,
      tiedBy,
      forgedVerp: !tiedBy && candidates.some((a) => /^bounces\+[^@]+@/i.test(a)),
      sentTo: subscriber?.email_key ?? txRecipient,
      messageId: outbox?.message_id,
      named,
    });
    if (!subscriber && !outbox && trust.verified) {
      const address = named[0];
      if (address) subscriber = await findSubscriberByKey(trx, address.toLowerCase());
    }
    return { outbox, subscriber, trust, ...(txRecipient ? { txRecipient } : {}) };
  }

  async function applyParsed(
    report: ParsedFeedback,
    channel: FeedbackChannel,
    envelope: readonly string[],
  ): Promise<IngestOutcome> {
    let guardNews: (() => Promise<void>) | undefined;
    const result = await database.transaction(async (trx) => {
      const target = await identify(trx, report, envelope, channel);
      if (report.reportMessageId && (await seenReport(trx, report.reportMessageId, target.outbox?.id ?? null))) {
        return {
          outcome: 'duplicate' as const,
          kind: 'notice' as const,
          style: report.style,
          action: 'already applied',
          campaignId: target.outbox?.campaign_id ?? null,
        };
      }
      const applied = await applyFeedback(trx, report, target, {
        channel,
        now: clock.now(),
        softBounces: deps.softBounces,
      });
      if (
        deps.abuse &&
        isAbuseReport(report, target) &&
        (await deps.abuse.record(trx, report, target.outbox, channel)) === 'foreign'
      ) {
        applied.action = 'abuse report about mail Listwarden did not send: owner alerted';
      }
      const { entry, ...outcome } = applied;
      guardNews = () => tellGuard(outcome.campaignId, outcome.kind, entry, target.subscriber?.email);
      return { outcome: 'applied' as const, style: report.style, ...outcome };
    });
    await guardNews?.();
    return result;
  }

  async function ingest(
    raw: Buffer,
    options: { channel: FeedbackChannel; envelopeRecipients?: readonly string[] },
  ): Promise<IngestOutcome> {
    const parsed = parseFeedback(raw);
    if (!parsed.ok) {
      const quarantineId = await quarantine(db, {
        at: clock.now(),
        channel: options.channel,
        reason: parsed.reason,
        raw,
      });
      deps.logger.info({ quarantineId, channel: options.channel, reason: parsed.reason }, 'feedback quarantined');
      return { outcome: 'quarantined', reason: parsed.reason, quarantineId };
    }
    return applyParsed(parsed.report, options.channel, options.envelopeRecipients ?? []);
  }

  /** What `feedback parse` prints for one message: what it says, whether it is tied to our mail, why. */
  async function explain(raw: Buffer, channel: FeedbackChannel = 'file'): Promise<FeedbackExplanation> {
    const parsed = parseFeedback(raw);
    if (!parsed.ok) return { kind: 'unreadable', verified: false, why: parsed.reason, recipients: [] };
    const report = parsed.report;
    const target = await identify(db, report, [], channel);
    const kinds = report.recipients.map((r) => r.kind);
    const kind: FeedbackExplanation['kind'] =
      report.kind === 'complaint' || report.kind === 'auto_reply'
        ? report.kind
        : kinds.includes('hard_bounce')
          ? 'hard_bounce'
          : kinds.includes('soft_bounce') || (report.kind === 'bounce' && kinds.length === 0)
            ? 'soft_bounce'
            : 'notice';
    const why = target.trust.verified
      ? target.outbox
        ? `it is about our message ${target.outbox.message_id} to ${target.subscriber?.email ?? 'a recipient since erased'}`
        : 'it came through a trusted door (the admin API or our own SMTP session)'
      : `it changes nothing: ${target.trust.why}`;
    return {
      kind,
      verified: target.trust.verified,
      why,
      recipients: report.recipients.map((r) => ({
        address: r.address ?? '',
        kind: report.kind === 'complaint' ? 'complaint' : report.kind === 'auto_reply' ? 'auto_reply' : r.kind,
        reason: r.reason,
        status: r.status,
        diagnostic: (r.diagnostic ?? '').slice(0, 500),
      })),
    };
  }

  return {
    ingest,
    explain,

    /**
     * Many messages (files, a folder, an mbox). They are taken in batches of up to 256 (or 16 MB)
     * whose transactions are queued together, so SQLite's group commit makes one fsync per batch.
     */
    async ingestMany(
      messages: AsyncIterable<Buffer> | Iterable<Buffer>,
      channel: FeedbackChannel,
    ): Promise<IngestSummary> {
      const summary: IngestSummary = { messages: 0, applied: 0, duplicates: 0, quarantined: 0, kinds: {} };
      let batch: Buffer[] = [];
      let bytes = 0;
      const flush = async () => {
        const results = await Promise.all(batch.map((raw) => ingest(raw, { channel })));
        batch = [];
        bytes = 0;
        for (const r of results) {
          if (r.outcome === 'quarantined') summary.quarantined++;
          else if (r.outcome === 'duplicate') summary.duplicates++;
          else {
            summary.applied++;
            summary.kinds[r.kind] = (summary.kinds[r.kind] ?? 0) + 1;
          }
        }
      };
      for await (const raw of messages) {
        summary.messages++;
        batch.push(raw);
        bytes += raw.byteLength;
        if (batch.length >= 256 || bytes >= 16 * 1024 * 1024) await flush();
      }
      await flush();
      return summary;
    },

    /** A 5xx during our own SMTP session: the receiver refused the recipient, a bounce like any other. */
    async sessionRejection(row: OutboxRow, reply: string): Promise<void> {
      const txRecipient = row.kind === 'transactional' ? readTxPayload(row.payload)?.to.toLowerCase() : undefined;
      if (row.subscriber_id === null && !txRecipient) return;
      const code = /\b([245]\d\d)\b/.exec(reply)?.[1];
      const enhanced = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1];
      const status = enhanced ?? (code ? `${code[0]}.0.0` : '5.0.0');
      const reason = reasonOf({ status, action: 'failed', diagnostic: reply });
      const kind = kindOf(reason, status, 'failed');
      const subscriber =
        row.subscriber_id !== null
          ? await findSubscriberById(db, row.subscriber_id)
          : await findSubscriberByKey(db, txRecipient as string);
      const report: ParsedFeedback = {
        kind: 'bounce',
        style: 'smtp-session',
        deliveredTo: [],
        recipients: [
          {
            ...(subscriber || txRecipient ? { address: subscriber?.email ?? (txRecipient as string) } : {}),
            status,
            action: 'failed',
            diagnostic: reply.slice(0, 500),
            reason,
            kind,
            classification: kind === 'hard_bounce' ? 'hard' : kind === 'soft_bounce' ? 'soft' : 'notice',
          },
        ],
      };
      const result = await database.transaction((trx) =>
        applyFeedback(
          trx,
          report,
          { outbox: row, subscriber, trust: { verified: true }, ...(txRecipient ? { txRecipient } : {}) },
          { channel: 'session', now: clock.now(), softBounces: deps.softBounces },
        ),
      );
      await tellGuard(result.campaignId, result.kind, result.entry, subscriber?.email);
    },

    async list(options: { limit?: unknown; campaign?: unknown; kind?: unknown } = {}) {
      const limit = options.limit === undefined ? 50 : Number(options.limit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
        throw new AppError('invalid_input', 'The limit must be a whole number from 1 to 1000.');
      const campaignId = options.campaign === undefined ? undefined : Number(options.campaign);
      if (campaignId !== undefined && (!Number.isSafeInteger(campaignId) || campaignId < 1))
        throw new AppError('invalid_input', 'The campaign must be a campaign id.');
      const kinds: FeedbackEventKind[] = ['hard_bounce', 'soft_bounce', 'complaint', 'auto_reply', 'notice'];
      if (options.kind !== undefined && !kinds.includes(options.kind as FeedbackEventKind))
        throw new AppError('invalid_input', `The kind must be one of ${kinds.join(', ')}.`);
      const rows = await recentFeedback(db, {
        limit,
        ...(campaignId ? { campaignId } : {}),
        ...(options.kind ? { kind: options.kind as FeedbackEventKind } : {}),
      });
      return {
        events: rows.map((r) => ({
          id: r.id,
          at: new Date(r.at).toISOString(),
          channel: r.channel,
          kind: r.kind,
          style: r.style,
          recipient: r.recipient,
          status: r.status,
          diagnostic: r.diagnostic,
          action: r.action,
          campaignId: r.campaign_id,
          listId: r.list_id,
          outboxId: r.outbox_id,
          verified: r.verified === 1,
          why: r.why,
        })),
        quarantined: await quarantineCount(db),
      };
    },
  };
}

/** X-ARF always; ARF when it names a message that is neither our outbox row nor our subscriber's. */
function isAbuseReport(
  report: ParsedFeedback,
  target: { outbox: OutboxRow | undefined; subscriber: SubscriberRow | undefined },
): boolean {
  if (report.kind !== 'complaint') return false;
  if (report.style === 'x-arf') return true;
  return report.style === 'arf' && !target.outbox && !target.subscriber && report.original !== undefined;
}

export type FeedbackService = ReturnType<typeof createFeedbackService>;
