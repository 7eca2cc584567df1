import { SENDER_SIDE, type BounceReason } from './reasons.js';
import { providerOf } from './providers.js';
import type { Db } from '../db/database.js';
import type { FeedbackEventKind, FeedbackEventRow } from '../db/schema.js';
import { notFound } from '../shared/app-error.js';
import {
  feedbackEventById,
  pageFeedbackEvents,
  pageQuarantine,
  quarantineCount,
  quarantinedById,
} from './feedback.repo.js';

export const FEEDBACK_KINDS: readonly FeedbackEventKind[] = [
  'hard_bounce',
  'soft_bounce',
  'complaint',
  'auto_reply',
  'notice',
];

/** The most of a quarantined message the console shows; the rest is cut with a note. */
const RAW_SHOWN_BYTES = 256 * 1024;

const iso = (at: number | string) => new Date(Number(at)).toISOString();

/** One report as the console lists and shows it. */
function eventView(r: FeedbackEventRow) {
  return {
    id: Number(r.id),
    at: iso(r.at),
    channel: r.channel,
    kind: r.kind,
    style: r.style,
    recipient: r.recipient,
    status: r.status,
    reason: r.reason,
    diagnostic: r.diagnostic,
    action: r.action,
    campaignId: r.campaign_id,
    listId: r.list_id,
    outboxId: r.outbox_id,
    reportMessageId: r.report_message_id,
    verified: Number(r.verified) === 1,
    why: r.why,
  };
}

export type FeedbackEventView = ReturnType<typeof eventView>;

/**
 * Reading feedback for the console: reports newest first with a keyset (never an offset), one
 * report, the quarantine and one quarantined message. Reports keep what was read from them (the
 * raw message is not stored once read); only the quarantine keeps the bytes of what could not be.
 */
export function createFeedbackBrowser(db: Db) {
  return {
    async page(options: { kind?: FeedbackEventKind; verified?: boolean; before?: number; limit?: number }) {
      const limit = options.limit ?? 50;
      const rows = await pageFeedbackEvents(db, { ...options, limit: limit + 1 });
      const events = rows.slice(0, limit).map(eventView);
      return { events, next: rows.length > limit ? (events[events.length - 1]?.id ?? null) : null };
    },

    /**
     * Receivers refusing our mail because of us (a blocklist, our reputation, authentication) in
     * the last `windowMs`, per reason and provider: read from the newest 500 soft bounces by id.
     */
    async refusingUs(
      now: number,
      windowMs = 86_400_000,
    ): Promise<Array<{ reason: string; provider: string; count: number }>> {
      const rows = await pageFeedbackEvents(db, { kind: 'soft_bounce', limit: 500 });
      const counts = new Map<string, { reason: string; provider: string; count: number }>();
      for (const row of rows) {
        if (Number(row.at) < now - windowMs || !row.reason || !SENDER_SIDE.has(row.reason as BounceReason)) continue;
        const provider = row.recipient ? providerOf(row.recipient) : 'unknown';
        const key = `${row.reason} ${provider}`;
        const entry = counts.get(key) ?? { reason: row.reason, provider, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
      return [...counts.values()].sort((a, b) => b.count - a.count);
    },

    async event(id: number): Promise<FeedbackEventView> {
      const row = await feedbackEventById(db, id);
      if (!row) throw notFound(`There is no feedback report ${id}.`);
      return eventView(row);
    },

    async quarantine(options: { before?: number; limit?: number } = {}) {
      const limit = options.limit ?? 50;
      const rows = await pageQuarantine(db, { ...options, limit: limit + 1 });
      const items = rows.slice(0, limit).map((r) => ({
        id: Number(r.id),
        at: iso(r.at),
        channel: r.channel,
        reason: r.reason,
        size: Number(r.size),
      }));
      return {
        items,
        next: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null,
        total: await quarantineCount(db),
      };
    },

    /** A quarantined message: its bytes as text (UTF-8, invalid bytes replaced), cut at 256 KB. */
    async quarantined(id: number) {
      const row = await quarantinedById(db, id);
      if (!row) throw notFound(`There is no quarantined message ${id}; it may have been erased.`);
      const raw = Buffer.from(row.raw);
      return {
        id: Number(row.id),
        at: iso(row.at),
        channel: row.channel,
        reason: row.reason,
        size: Number(row.size),
        text: raw.subarray(0, RAW_SHOWN_BYTES).toString('utf8'),
        cut: raw.byteLength > RAW_SHOWN_BYTES,
      };
    },
  };
}

export type FeedbackBrowser = ReturnType<typeof createFeedbackBrowser>;
