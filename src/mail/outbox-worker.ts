import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import type { OutboxKind, OutboxRow } from '../db/schema.js';
import { bulkSentSince, claimDue, postpone, release, settle } from './outbox.repo.js';
import { DEFAULT_RETRY_POLICY, nextAttempt, type RetryPolicy } from './retry-policy.js';
import { warmupCap, type Throttle } from './throttle.js';
import { DeliveryError, type Delivery, type OutgoingMessage, type Transport } from './transport.js';

/** How one kind of message is built at send time and what happens once it is delivered. */
export interface MessageHandler {
  /** Builds the message, or names the reason it must not go out any more. */
  render(row: OutboxRow): Promise<{ message: OutgoingMessage } | { skip: string }>;
  /** Runs in the same transaction that marks the row sent. */
  delivered?(trx: Db, row: OutboxRow, delivery: Delivery, now: number): Promise<void>;
  /** Loads what `render` needs for a whole claimed batch at once (a few queries, not a few per row). */
  prefetch?(rows: readonly OutboxRow[]): Promise<void>;
}

export interface OutboxWorkerOptions {
  database: Database;
  transport: Transport;
  handlers: Partial<Record<OutboxKind, MessageHandler>>;
  logger: Logger;
  workerId?: string;
  batchSize?: number;
  concurrency?: number;
  pollMs?: number;
  leaseMs?: number;
  retryPolicy?: RetryPolicy;
  /** Applied to every message before the transport (DKIM). */
  sign?: (message: OutgoingMessage) => Promise<OutgoingMessage>;
  /** After a receiver refused a message for good during our own SMTP session (5xx). */
  onRejected?: (row: OutboxRow, reply: string) => Promise<void>;
  /** After a bulk message was deferred (4xx or connection error) by `destination`. */
  onDeferred?: (row: OutboxRow, destination: string) => Promise<void>;
  /** Pacing of bulk (campaign) mail: per destination and global rates, warm-up daily cap. */
  pacing?: {
    throttle: Throttle;
    destinationOf: (address: string) => string;
    warmup?: { start: number; factor: number };
  };
}

export interface OutboxWorker {
  readonly workerId: string;
  start(): void;
  /** Wakes the worker now instead of at the next poll (a message was just queued). */
  poke(): void;
  /** Stops claiming, finishes messages already handed to the transport, releases the rest. */
  stop(): Promise<void>;
  /** Processes everything due now and resolves when nothing is left (tests, CLI). */
  drain(): Promise<number>;
}

/** The queue consumer: claims due rows with a lease, renders, hands to the transport, settles. */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { database, transport, handlers, logger } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 5;
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 120_000;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const pacing = options.pacing;
  const DAY = 86_400_000;
  const SHORT_WAIT_MS = 2_000;
  // Warm-up count of bulk mail sent today (all workers), refreshed from the database each minute.
  const warm = { day: -1, sent: 0, firstDay: null as number | null, refreshedAt: 0 };
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let poked = false;

  /** When this bulk message must wait (warm-up cap reached, destination or global pace), or undefined. */
  async function pacingHold(
    paced: NonNullable<typeof pacing>,
    destination: string,
  ): Promise<{ at: number; reason: string } | undefined> {
    const now = Date.now();
    if (paced.warmup) {
      const day = Math.floor(now / DAY);
      if (day !== warm.day || now - warm.refreshedAt > 60_000) {
        const counted = await bulkSentSince(database.db, day * DAY);
        // Sent marks are flushed in batches, so this worker's own count can be ahead of the database.
        const sent = day === warm.day ? Math.max(warm.sent, counted.count) : counted.count;
        Object.assign(warm, {
          day,
          sent,
          firstDay: counted.first === null ? day : Math.floor(counted.first / DAY),
          refreshedAt: now,
        });
      }
      const cap = warmupCap(paced.warmup.start, paced.warmup.factor, day - (warm.firstDay ?? day));
      if (warm.sent >= cap)
        return { at: (day + 1) * DAY, reason: `warm-up: today's cap of ${cap} messages is reached` };
    }
    const admission = paced.throttle.admit(destination, now);
    if (!admission.ok) return { at: admission.retryAt, reason: `paced: ${admission.reason}` };
    // Reserve the slot before sending: concurrent sends must not all pass the same check.
    if (paced.warmup) warm.sent++;
    return undefined;
  }

  /** A failed attempt: retried with backoff, or final after a permanent error or the last attempt. */
  async function failAttempt(row: OutboxRow, error: unknown, permanent: boolean): Promise<void> {
    const text = error instanceof Error ? error.message : String(error);
    const decision = nextAttempt(row.attempts, permanent, Date.now(), policy);
    if (decision.retry) {
      await settle(
        database.db,
        row.id,
        workerId,
        { status: 'deferred', error: text, nextAttemptAt: decision.at },
        Date.now(),
      );
    } else {
      await settle(
        database.db,
        row.id,
        workerId,
        { status: permanent ? 'bounced' : 'failed', error: `${text} (${decision.reason})` },
        Date.now(),
      );
    }
    logger.warn({ outboxId: row.id, kind: row.kind, attempt: row.attempts, permanent, error: text }, 'delivery failed');
  }

  async function processRow(row: OutboxRow): Promise<void> {
    const handler = handlers[row.kind];
    try {
      if (!handler) {
        await settle(
          database.db,
          row.id,
          workerId,
          { status: 'failed', error: `no handler for ${row.kind} messages` },
          Date.now(),
        );
        return;
      }
      let rendered: Awaited<ReturnType<MessageHandler['render']>>;
      try {
        rendered = await handler.render(row);
      } catch (error) {
        // A broken template or a database hiccup: retry with backoff rather than spin on the lease.
        await failAttempt(row, error, false);
        return;
      }
      if ('skip' in rendered) {
        await settle(database.db, row.id, workerId, { status: 'cancelled', error: rendered.skip }, Date.now());
        return;
      }
      const paced = pacing && rendered.message.bulk ? pacing : undefined;
      const destination = paced?.destinationOf(rendered.message.envelopeTo);
      if (paced && destination !== undefined) {
        let hold = await pacingHold(paced, destination);
        // A short wait keeps the lease and costs no write; a long one puts the message back.
        while (hold && hold.at - Date.now() <= SHORT_WAIT_MS && !stopping) {
          await delay(Math.max(1, hold.at - Date.now()));
          hold = await pacingHold(paced, destination);
        }
        if (hold) {
          await postpone(database.db, row.id, workerId, hold.at, hold.reason, Date.now());
          return;
        }
      }
      let delivery: Delivery;
      try {
        delivery = await transport.send(options.sign ? await options.sign(rendered.message) : rendered.message);
      } catch (error) {
        const permanent = error instanceof DeliveryError && error.permanent;
        if (paced && destination !== undefined) {
          if (paced.warmup) warm.sent--;
          if (!permanent) paced.throttle.deferred(destination, Date.now());
        }
        await failAttempt(row, error, permanent);
        try {
          if (permanent) await options.onRejected?.(row, error instanceof Error ? error.message : String(error));
          else if (destination !== undefined) await options.onDeferred?.(row, destination);
        } catch (hookError) {
          logger.error({ outboxId: row.id, err: hookError }, 'feedback for a failed delivery could not be recorded');
        }
        return;
      }
      if (paced && destination !== undefined) paced.throttle.delivered(destination, Date.now());
      recordSent({ row, delivery, handler, at: Date.now() });
      logger.info({ outboxId: row.id, kind: row.kind, messageId: row.message_id }, 'message sent');
    } catch (error) {
      // The lease runs out and another pass picks the row up again.
      logger.error({ outboxId: row.id, err: error }, 'outbox row failed unexpectedly');
    }
  }

  // Deliveries are marked sent in batches: one transaction (and one fsync) for many messages.
  // A crash before a flush leaves them `sending`; they go again, with the same Message-ID.
  type Sent = { row: OutboxRow; delivery: Delivery; handler: MessageHandler; at: number };
  let unsaved: Sent[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flushing = new Set<Promise<void>>();

  function flushSent(): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const entries = unsaved;
    unsaved = [];
    if (entries.length === 0) return;
    const done = database
      .transaction(async (trx) => {
        for (const { row, delivery, handler, at } of entries) {
          if (await settle(trx, row.id, workerId, { status: 'sent', response: delivery.response }, at)) {
            await handler.delivered?.(trx, row, delivery, at);
          }
        }
      })
      .catch((error: unknown) =>
        logger.error({ err: error, count: entries.length }, 'marking messages sent failed; their leases will expire'),
      )
      .finally(() => flushing.delete(done));
    flushing.add(done);
  }

  function recordSent(entry: Sent): void {
    unsaved.push(entry);
    if (unsaved.length >= 256) flushSent();
    else flushTimer ??= setTimeout(flushSent, 50);
  }

  async function allSentSaved(): Promise<void> {
    flushSent();
    await Promise.all([...flushing]);
  }

  async function runBatch(rows: OutboxRow[]): Promise<void> {
    for (const [kind, handler] of Object.entries(handlers) as Array<[OutboxKind, MessageHandler]>) {
      const own = rows.filter((r) => r.kind === kind);
      if (own.length > 0 && handler.prefetch) {
        try {
          await handler.prefetch(own);
        } catch (error) {
          logger.warn({ err: error }, 'prefetch failed; rendering row by row');
        }
      }
    }
    const queue = [...rows];
    const runners = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        if (stopping) {
          queue.unshift(row);
          return;
        }
        await processRow(row);
      }
    });
    await Promise.all(runners);
    await allSentSaved();
    if (queue.length > 0)
      await release(
        database.db,
        queue.map((r) => r.id),
        workerId,
        Date.now(),
      );
  }

  async function passOnce(): Promise<number> {
    const rows = await claimDue(database.db, database.dialect, {
      workerId,
      now: Date.now(),
      leaseMs,
      limit: batchSize,
    });
    if (rows.length > 0) await runBatch(rows);
    return rows.length;
  }

  function sleep(): Promise<void> {
    if (poked) {
      poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let count = 0;
      try {
        count = await passOnce();
      } catch (error) {
        logger.error({ err: error }, 'outbox claim failed');
      }
      if (count === 0 && !stopping) await sleep();
    }
  }

  return {
    workerId,
    start() {
      if (!loop) loop = run();
    },
    poke() {
      if (wake) wake();
      else poked = true;
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
    async drain() {
      let total = 0;
      for (let n = await passOnce(); n > 0; n = await passOnce()) total += n;
      return total;
    },
  };
}
