import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import type { OutboxRow } from '../db/schema.js';
import { addToDay } from '../metrics/daily-counts.repo.js';
import { dayOf } from '../metrics/days.js';
import { addCounts } from './campaign-counts.repo.js';
import { CountChanges, shardOf } from './count-changes.js';
import { settleSent } from './outbox.repo.js';
import type { Delivery } from './transport.js';

/** A delivered message whose `sent` mark is not written yet. */
export interface SentMark {
  row: OutboxRow;
  delivery: Delivery;
  /** Runs in the transaction that marks the row sent (e.g. the `confirmation_sent` event). */
  delivered?: ((trx: Db, row: OutboxRow, delivery: Delivery, now: number) => Promise<void>) | undefined;
  at: number;
}

const MAX_MARKS = 256;
const MAX_WAIT_MS = 50;

/**
 * Writes `sent` marks in batches: one transaction (and one fsync) for up to 256 messages or 50 ms.
 * A crash before a flush leaves those rows `sending`; they go again, with the same Message-ID.
 */
export function createSentMarks(database: Database, workerId: string, logger: Logger) {
  let unsaved: SentMark[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flushing = new Set<Promise<void>>();

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const marks = unsaved;
    unsaved = [];
    if (marks.length === 0) return;
    const done: Promise<void> = database
      .transaction(async (trx) => {
        const perDay = new Map<number, number>();
        const changes = new CountChanges();
        const settled = await settleSent(
          trx,
          database.dialect,
          marks.map((m) => ({ row: m.row, response: m.delivery.response, at: m.at })),
          workerId,
          changes,
        );
        for (const { row, delivery, delivered, at } of marks) {
          if (!settled.has(row.id)) continue;
          await delivered?.(trx, row, delivery, at);
          perDay.set(dayOf(at), (perDay.get(dayOf(at)) ?? 0) + 1);
        }
        // The dashboard's daily count: one upsert per flush, not per message.
        for (const [day, count] of perDay) await addToDay(trx, day, 'delivered', count);
        // The campaigns' counts: one upsert per campaign and flush, last, so a PostgreSQL worker
        // holds the counter row only for the commit.
        await addCounts(trx, changes, shardOf(workerId));
      })
      .catch((error: unknown) =>
        logger.error({ err: error, count: marks.length }, 'marking messages sent failed; their leases will expire'),
      )
      .finally(() => flushing.delete(done));
    flushing.add(done);
  }

  return {
    add(mark: SentMark): void {
      unsaved.push(mark);
      if (unsaved.length >= MAX_MARKS) flush();
      else timer ??= setTimeout(flush, MAX_WAIT_MS);
    },
    /** Writes every mark added so far and waits until they are on disk. */
    async saveAll(): Promise<void> {
      flush();
      await Promise.all([...flushing]);
    },
  };
}
