import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import type { OutboxKind, OutboxRow } from '../db/schema.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createPollLoop } from '../shared/poll-loop.js';
import { addToDay } from '../metrics/daily-counts.repo.js';
import { dayOf } from '../metrics/days.js';
import { addCounts } from './campaign-counts.repo.js';
import { CountChanges, shardOf } from './count-changes.js';
import { claimDue, type ClaimCursor, type KindFilter } from './outbox-claim.repo.js';
import { holdClaimed, postpone, release, settle } from './outbox.repo.js';
import { DEFAULT_RETRY_POLICY, nextAttempt, type RetryPolicy } from './retry-policy.js';
import { createSentMarks } from './sent-marks.js';
import type { Throttle } from './throttle.js';
import { DeliveryError, type Delivery, type OutgoingMessage, type Transport } from './transport.js';
import { createWarmupCounter, type Warmup } from './warmup-counter.js';

/** How one kind of message is built at send time and what happens once it is delivered. */
export interface MessageHandler {
  /**
   * Builds the message, or names the reason it must not go out any more (`skip`: the row is
   * cancelled) or not now (`hold`: the row waits, held, until its campaign is resumed).
   * `prefetched` is what `prefetch` returned for the batch this row was claimed in.
   */
  render(
    row: OutboxRow,
    prefetched?: unknown,
  ): Promise<{ message: OutgoingMessage } | { skip: string } | { hold: string }>;
  /** Runs in the same transaction that marks the row sent. */
  delivered?(trx: Db, row: OutboxRow, delivery: Delivery, now: number): Promise<void>;
  /** Loads what `render` needs for a whole claimed batch at once (a few queries, not a few per row). */
  prefetch?(rows: readonly OutboxRow[]): Promise<unknown>;
}

export interface OutboxWorkerOptions {
  database: Database;
  transport: Transport;
  handlers: Partial<Record<OutboxKind, MessageHandler>>;
  logger: Logger;
  workerId?: string;
  /** The kinds this worker claims (a stream's own worker); all when absent. */
  kinds?: KindFilter;
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
    /** The warm-up plan, read at each message (undefined: none). */
    warmup?: () => Warmup | undefined;
  };
  clock?: Clock;
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

/**
 * The queue consumer. Each claimed row goes through named steps, any of which can stop it with a
 * reason: render (or skip), pace (or postpone), deliver (or defer / fail), settle (the sent mark).
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { database, transport, handlers, logger } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 5;
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 120_000;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? systemClock;
  const pacing = options.pacing;
  const warmup = pacing?.warmup ? createWarmupCounter(database.db, pacing.warmup) : undefined;
  const sentMarks = createSentMarks(database, workerId, logger);
  // A pacing wait this short keeps the lease and costs no write; a longer one puts the row back.
  const SHORT_WAIT_MS = 2_000;
  // A pass claims at most this many batches one after another (then the loop begins the next).
  const STREAM_BATCHES = 50;

  /** Where a paced message goes, and whether the warm-up counted it. */
  type Paced = { destination: string } | undefined;

  /**
   * A claimed row's outcome; for campaign mail its move in the campaign's counts goes into the
   * same transaction (this worker's shard of them).
   */
  async function settleCounted(row: OutboxRow, outcome: Parameters<typeof settle>[3], now: number): Promise<boolean> {
    const changes = new CountChanges();
    if (row.campaign_id === null) return settle(database.db, row, workerId, outcome, now, changes);
    return database.transaction(async (trx) => {
      const settled = await settle(trx, row, workerId, outcome, now, changes);
      await addCounts(trx, changes, shardOf(workerId));
      return settled;
    });
  }

  // --- the steps -------------------------------------------------------------------------------

  /** Render: the handler builds the message, or names why it must not go out (the row is cancelled). */
  async function render(
    row: OutboxRow,
    handler: MessageHandler,
    prefetched: unknown,
  ): Promise<OutgoingMessage | undefined> {
    let rendered: Awaited<ReturnType<MessageHandler['render']>>;
    try {
      rendered = await handler.render(row, prefetched);
    } catch (error) {
      // A broken template or a database hiccup: retry with backoff rather than spin on the lease.
      await failAttempt(row, error, false);
      return undefined;
    }
    if ('skip' in rendered) {
      await settleCounted(row, { status: 'cancelled', error: rendered.skip }, clock.now());
      return undefined;
    }
    if ('hold' in rendered) {
      const at = clock.now();
      await database.transaction((trx) => holdClaimed(trx, row, workerId, rendered.hold, at));
      return undefined;
    }
    return rendered.message;
  }

  /** When this bulk message must wait (warm-up cap reached, destination or global pace), or undefined. */
  async function holdFor(
    paced: NonNullable<typeof pacing>,
    destination: string,
  ): Promise<{ at: number; reason: string } | undefined> {
    const now = clock.now();
    const capped = await warmup?.reserve(now);
    if (capped) return capped;
    const admission = paced.throttle.admit(destination, now);
    if (admission.ok) return undefined;
    warmup?.release();
    return { at: admission.retryAt, reason: `paced: ${admission.reason}` };
  }

  /** Pace: campaign mail waits for a slot at its destination and under the global and warm-up caps. */
  async function pace(row: OutboxRow, message: OutgoingMessage): Promise<Paced | 'postponed'> {
    if (!pacing || !message.bulk) return undefined;
    const destination = pacing.destinationOf(message.envelopeTo);
    let hold = await holdFor(pacing, destination);
    while (hold && hold.at - clock.now() <= SHORT_WAIT_MS && !loop.stopping) {
      await delay(Math.max(1, hold.at - clock.now()));
      hold = await holdFor(pacing, destination);
    }
    if (!hold) return { destination };
    await postpone(database.db, row.id, workerId, hold.at, hold.reason, clock.now());
    return 'postponed';
  }

  /** Deliver: sign and hand to the transport; a refusal is retried later or is final, and reported. */
  async function deliver(row: OutboxRow, message: OutgoingMessage, paced: Paced): Promise<Delivery | undefined> {
    try {
      return await transport.send(options.sign ? await options.sign(message) : message);
    } catch (error) {
      const permanent = error instanceof DeliveryError && error.permanent;
      if (paced) {
        warmup?.release();
        if (!permanent) pacing?.throttle.deferred(paced.destination, clock.now());
      }
      await failAttempt(row, error, permanent);
      await reportFailure(row, error, permanent, paced);
      return undefined;
    }
  }

  /** Settle: the sent mark is written with the next batch of marks (see sent-marks.ts). */
  function settleSent(row: OutboxRow, handler: MessageHandler, delivery: Delivery, paced: Paced): void {
    const now = clock.now();
    if (paced) pacing?.throttle.delivered(paced.destination, now);
    sentMarks.add({ row, delivery, delivered: handler.delivered?.bind(handler), at: now });
    logger.info({ outboxId: row.id, kind: row.kind, messageId: row.message_id }, 'message sent');
  }

  /** One row through the steps. An unexpected error leaves the row to its lease: another pass takes it again. */
  async function processRow(row: OutboxRow, prefetched: ReadonlyMap<OutboxKind, unknown>): Promise<void> {
    try {
      const handler = handlers[row.kind];
      if (!handler) {
        const error = `no handler for ${row.kind} messages`;
        await settleCounted(row, { status: 'failed', error }, clock.now());
        return;
      }
      const message = await render(row, handler, prefetched.get(row.kind));
      if (!message) return;
      const paced = await pace(row, message);
      if (paced === 'postponed') return;
      const delivery = await deliver(row, message, paced);
      if (!delivery) return;
      settleSent(row, handler, delivery, paced);
    } catch (error) {
      logger.error({ outboxId: row.id, err: error }, 'outbox row failed unexpectedly');
    }
  }

  // --- failures --------------------------------------------------------------------------------

  /** A failed attempt: retried with backoff, or final after a permanent error or the last attempt. */
  async function failAttempt(row: OutboxRow, error: unknown, permanent: boolean): Promise<void> {
    const text = error instanceof Error ? error.message : String(error);
    const now = clock.now();
    const decision = nextAttempt(row.attempts, permanent, now, policy);
    const outcome = decision.retry
      ? { status: 'deferred' as const, error: text, nextAttemptAt: decision.at }
      : { status: permanent ? ('bounced' as const) : ('failed' as const), error: `${text} (${decision.reason})` };
    if ((await settleCounted(row, outcome, now)) && outcome.status !== 'deferred')
      await addToDay(database.db, dayOf(now), outcome.status === 'bounced' ? 'refused' : 'failed', 1);
    logger.warn({ outboxId: row.id, kind: row.kind, attempt: row.attempts, permanent, error: text }, 'delivery failed');
  }

  /** Tells the feedback loop: a 5xx in our session is a bounce, a 4xx of campaign mail a deferral. */
  async function reportFailure(row: OutboxRow, error: unknown, permanent: boolean, paced: Paced): Promise<void> {
    try {
      if (permanent) await options.onRejected?.(row, error instanceof Error ? error.message : String(error));
      else if (paced) await options.onDeferred?.(row, paced.destination);
    } catch (hookError) {
      logger.error({ outboxId: row.id, err: hookError }, 'feedback for a failed delivery could not be recorded');
    }
  }

  // --- batches and the loop --------------------------------------------------------------------

  /** What each handler loads for the whole batch; a failed prefetch means rendering row by row. */
  async function prefetchBatch(rows: readonly OutboxRow[]): Promise<Map<OutboxKind, unknown>> {
    const prefetched = new Map<OutboxKind, unknown>();
    for (const [kind, handler] of Object.entries(handlers) as Array<[OutboxKind, MessageHandler]>) {
      const own = rows.filter((r) => r.kind === kind);
      if (own.length === 0 || !handler.prefetch) continue;
      try {
        prefetched.set(kind, await handler.prefetch(own));
      } catch (error) {
        logger.warn({ err: error }, 'prefetch failed; rendering row by row');
      }
    }
    return prefetched;
  }

  /** When this worker last looked for expired leases and due retries too (see claimDue's `all`). */
  let lookedEverywhereAt = Number.NEGATIVE_INFINITY;
  /** Where this worker's claims of queued campaign mail have got to (see ClaimCursor). */
  const cursor: ClaimCursor = {};

  function claim(all: boolean, othersLeasesOnly = false): Promise<OutboxRow[]> {
    return claimDue(database, {
      workerId,
      now: clock.now(),
      leaseMs,
      limit: batchSize,
      all,
      othersLeasesOnly,
      cursor,
      ...(options.kinds ? { kinds: options.kinds } : {}),
    });
  }

  /**
   * The next batch as the loop claims it: expired leases and retries too once a second. Ahead
   * (rows of the last batch still in hand) it leaves its own expired leases alone.
   */
  function claimNext(ahead = false): Promise<OutboxRow[]> {
    const everywhere = clock.now() - lookedEverywhereAt >= 1000;
    if (everywhere) lookedEverywhereAt = clock.now();
    return claim(everywhere, ahead);
  }

  /**
   * Runs claimed rows on `concurrency` runners and claims the next batch while the last rows of
   * this one are still being sent (when fewer rows wait than there are runners), so the runners
   * go on without waiting at each batch's end for its slowest message, its claim and its
   * prefetch. A pass ends when a claim finds nothing, after `STREAM_BATCHES` batches, or at stop
   * (rows not started are released); how many rows it handled.
   */
  async function runStream(first: OutboxRow[]): Promise<number> {
    const queue: Array<{ row: OutboxRow; prefetched: ReadonlyMap<OutboxKind, unknown> }> = [];
    let handled = 0;
    let batches = 0;
    let exhausted = false;
    let claiming: Promise<void> | undefined;
    const add = async (rows: readonly OutboxRow[]) => {
      const prefetched = await prefetchBatch(rows);
      for (const row of rows) queue.push({ row, prefetched });
      handled += rows.length;
      batches++;
    };
    const claimAhead = () => {
      if (claiming) return;
      claiming = (async () => {
        try {
          // The marks of what went out so far are written before more is claimed, as at a batch's
          // end: a crash repeats no more than the messages of the last batch still unmarked.
          await sentMarks.saveAll();
          const rows = await claimNext(true);
          if (rows.length === 0) exhausted = true;
          else await add(rows);
        } catch (error) {
          exhausted = true;
          logger.error({ err: error }, 'outbox claim failed');
        }
      })().finally(() => {
        claiming = undefined;
      });
    };
    await add(first);
    const runners = Array.from({ length: concurrency }, async () => {
      while (!loop.stopping) {
        if (queue.length < concurrency && !exhausted && batches < STREAM_BATCHES) void claimAhead();
        const item = queue.shift();
        if (item) await processRow(item.row, item.prefetched);
        else if (claiming) await claiming;
        else return;
      }
    });
    await Promise.all(runners);
    await claiming;
    await sentMarks.saveAll();
    if (queue.length > 0)
      await release(
        database.db,
        queue.map((item) => item.row.id),
        workerId,
        clock.now(),
      );
    return handled;
  }

  /** Claim: due rows with a lease, then the batches that follow while there are any. */
  async function passOnce(): Promise<number> {
    const lookedBefore = lookedEverywhereAt;
    let rows = await claimNext();
    // Nothing queued: before the loop sleeps (or a drain ends), expired leases and retries too.
    if (rows.length === 0 && lookedEverywhereAt === lookedBefore) {
      lookedEverywhereAt = clock.now();
      rows = await claim(true);
    }
    return rows.length > 0 ? runStream(rows) : 0;
  }

  const loop = createPollLoop({
    pass: passOnce,
    pollMs,
    onError: (error) => logger.error({ err: error }, 'outbox claim failed'),
  });

  return {
    workerId,
    start: () => loop.start(),
    poke: () => loop.poke(),
    stop: () => loop.stop(),
    drain: () => loop.drain(),
  };
}
