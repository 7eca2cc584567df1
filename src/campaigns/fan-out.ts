import type { AudienceSql } from '../segments/filter-sql.repo.js';
import type { Logger } from 'pino';
import type { Database, Db } from '../db/database.js';
import type { CampaignRow } from '../db/schema.js';
import { suppressedAmong } from '../consent/consent.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { newMessageId } from '../mail/message-id.js';
import { enqueueCampaignMessages } from '../mail/campaign-outbox.repo.js';
import { campaignCounts } from '../mail/campaign-counts.repo.js';
import { systemClock, type Clock } from '../shared/clock.js';
import {
  advanceFanOut,
  campaignsFanningOut,
  confirmedRecipients,
  lockForFanOut,
  restartFanOut,
} from './campaigns.repo.js';

/** A campaign as the fan-out needs it: its list, and the domain its Message-IDs are made in. */
export interface FanOutTarget {
  id: number;
  list_id: number;
  messageDomain: string;
  /** Only the list's confirmed subscribers who meet this (a segment, lists left out); none: all of them. */
  audience?: AudienceSql | undefined;
  /** The subject variant of each recipient (an A/B test); none: the one subject. */
  variantOf?: ((subscriberId: number) => 'a' | 'b') | undefined;
}

const BATCH = 1000;
/** In the background, the fan-out keeps this many messages queued ahead of the sending, no more. */
export const FAN_OUT_AHEAD = 20_000;
const PACED_WAIT_MS = 250;

/**
 * One batch of the fan-out, in one transaction: the next confirmed, unsuppressed subscribers
 * after the campaign's position get an outbox row each, and the position moves on (null after
 * the last). Only while the campaign runs: a paused campaign's fan-out waits for its resume, a
 * cancelled one's stops. Idempotent: the unique (campaign, subscriber) index skips rows that exist,
 * so two processes carrying on one fan-out never queue anybody twice.
 */
export async function fanOutBatch(
  database: Database,
  campaign: FanOutTarget,
  clock: Clock = systemClock,
  batchSize = BATCH,
): Promise<{ queued: number; more: boolean }> {
  return database.transaction(async (trx) => {
    const state = await lockForFanOut(trx, database.dialect, campaign.id);
    if (!state || state.status !== 'running' || state.fanout_after === null) return { queued: 0, more: false };
    const batch = await confirmedRecipients(trx, campaign.list_id, state.fanout_after, batchSize, campaign.audience);
    const now = clock.now();
    const last = batch.length < batchSize ? null : (batch[batch.length - 1] as { id: number }).id;
    await advanceFanOut(trx, campaign.id, last, now);
    if (batch.length === 0) return { queued: 0, more: false };
    const hashes = batch.map((r) => suppressionHash(r.emailKey));
    const suppressed = await suppressedAmong(trx, database.dialect, hashes);
    const recipients = batch
      .filter((_, i) => !suppressed.has(hashes[i] as string))
      .map((r) => ({
        subscriberId: r.id,
        messageId: newMessageId(campaign.messageDomain, now),
        ...(campaign.variantOf ? { variant: campaign.variantOf(r.id) } : {}),
      }));
    const queued = await enqueueCampaignMessages(
      trx,
      database.dialect,
      { id: campaign.id, listId: campaign.list_id },
      recipients,
      now,
    );
    return { queued, more: last !== null };
  });
}

/**
 * Queues every recipient of a running campaign now, from the first (again: rows that exist are
 * skipped, so a second run adds nothing); the number of rows it added.
 */
export async function fanOut(
  database: Database,
  campaign: { id: number; list_id: number },
  messageDomain: string,
  batchSize = BATCH,
  clock: Clock = systemClock,
): Promise<number> {
  await database.transaction((trx) => restartFanOut(trx, campaign.id, clock.now()));
  let total = 0;
  for (;;) {
    const { queued, more } = await fanOutBatch(database, { ...campaign, messageDomain }, clock, batchSize);
    total += queued;
    if (!more) return total;
  }
}

/**
 * Runs fan-outs while the campaign sends: the worker takes the first rows while the rest are still
 * being queued (a campaign to ten million starts sending in seconds, not after minutes of queueing).
 * With `ahead`, a run keeps at most about that many of the campaign's messages queued and waits
 * while there are more: the fan-out goes at the sending's pace instead of taking the thread (and
 * the database) from the sending and from requests for minutes, and a pause or a cancel has fewer
 * rows to hold. One run per campaign in this process; `stop` lets the batch in progress finish, and
 * whatever is left is carried on by `resume` (after a restart: every running campaign with a position).
 */
export function createFanOuts(deps: {
  database: Database;
  clock?: Clock;
  /** Queued messages to keep ahead of the sending (a worker sends them); none: as fast as it goes. */
  ahead?: number;
  /** Subscribers a batch (a transaction) queues. */
  batchSize?: number;
  /** After each batch: wake the worker. */
  onQueued?: () => void;
  logger?: Logger;
  /** The domain a campaign's Message-IDs are made in. */
  messageDomainOf: (campaign: CampaignRow) => string;
  /** Whom of its list a campaign goes to, as a condition (a segment, lists left out, an A/B phase). */
  audienceOf?: (campaign: CampaignRow) => Promise<AudienceSql | undefined>;
  /** The subject variant of each recipient of an A/B-tested campaign. */
  variantOf?: (campaign: CampaignRow) => ((subscriberId: number) => 'a' | 'b') | undefined;
}) {
  const runs = new Map<number, Promise<void>>();
  let stopping = false;

  async function runToEnd(campaign: FanOutTarget): Promise<void> {
    while (!stopping) {
      const { queued, more } = await fanOutBatch(deps.database, campaign, deps.clock, deps.batchSize);
      if (queued > 0) deps.onQueued?.();
      if (!more) return;
      // Between batches the thread answers requests and sends, also on SQLite (whose calls block).
      await new Promise((resolve) => setImmediate(resolve));
      while (deps.ahead !== undefined && !stopping && (await queuedOf(deps.database.db, campaign.id)) >= deps.ahead) {
        await new Promise((resolve) => setTimeout(resolve, PACED_WAIT_MS));
      }
    }
  }

  /** The fan-out of `campaign` until its end (or this process stops); joins a run in progress. */
  function run(campaign: FanOutTarget): Promise<void> {
    let running = runs.get(campaign.id);
    if (!running) {
      running = runToEnd(campaign).finally(() => runs.delete(campaign.id));
      runs.set(campaign.id, running);
    }
    return running;
  }

  return {
    run,
    /**
     * Carries on the unfinished fan-outs of running campaigns (joining runs in progress); resolves
     * when they end. A failed one is logged and tried again at the next call.
     */
    async resume(): Promise<void> {
      if (stopping) return;
      const pending: Array<Promise<void>> = [];
      for (const campaign of await campaignsFanningOut(deps.database.db)) {
        const target = async () => ({
          id: campaign.id,
          list_id: campaign.list_id,
          messageDomain: deps.messageDomainOf(campaign),
          audience: await deps.audienceOf?.(campaign),
          variantOf: deps.variantOf?.(campaign),
        });
        pending.push(
          target()
            .then(run)
            .catch((error: unknown) =>
              deps.logger?.error({ err: error, campaignId: campaign.id }, 'fan-out failed; it is tried again'),
            ),
        );
      }
      await Promise.all(pending);
    },
    /** Stops after the batches in progress; what is left stays for the next `resume`. */
    async stop(): Promise<void> {
      stopping = true;
      await Promise.allSettled([...runs.values()]);
    },
  };
}

export type FanOuts = ReturnType<typeof createFanOuts>;

/** The campaign's messages waiting to be sent (queued or being sent), from its kept counts. */
async function queuedOf(db: Db, campaignId: number): Promise<number> {
  return (await campaignCounts(db, campaignId)).queued ?? 0;
}
