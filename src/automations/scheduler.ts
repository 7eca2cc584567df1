import type { Database } from '../db/database.js';
import { subscriptionStatuses, suppressedAmong } from '../consent/consent.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { findListById } from '../lists/lists.repo.js';
import { enqueueAutomationMessage } from '../mail/automation-outbox.repo.js';
import { newMessageId } from '../mail/message-id.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { subscribersByIds } from '../subscribers/subscribers.repo.js';
import * as repo from './automations.repo.js';

const BATCH = 200;
/** Consent events a welcome flow reads per transaction (most are not its list's confirmations). */
const EVENTS_READ = 5000;

/**
 * The durable timers of automations, run every few seconds under `serve`:
 * 1. confirmations on a welcome flow's list (consent events after its cursor) start runs, the
 *    cursor moving on in the same transaction;
 * 2. each due step is queued as mail and its run moved to the next step (or done) in one
 *    transaction, so a crash neither loses nor doubles a step (and the outbox's unique (run, step)
 *    index would refuse a second one). A person no longer confirmed on the list, or suppressed,
 *    has their run stopped instead: an unsubscribe ends every flow of that list, a suppression
 *    (complaint, unsubscribe from everything, erasure) every flow.
 */
export function createAutomationScheduler(deps: { database: Database; clock?: Clock; onQueued?: () => void }) {
  const { database } = deps;
  const clock = deps.clock ?? systemClock;

  async function startWelcomes(): Promise<number> {
    let started = 0;
    for (const automation of await repo.activeAutomations(database.db)) {
      if (automation.trigger !== 'confirmed') continue;
      const steps = await repo.stepsOf(database.db, automation.id);
      // A flow without steps reads nothing yet: who confirms meanwhile is welcomed once it has one.
      const first = steps[0];
      if (!first) continue;
      for (let more = true; more;) {
        more = await database.transaction(async (trx) => {
          const fresh = await repo.findAutomation(trx, automation.slug);
          if (!fresh) return false;
          const read = await repo.confirmationsAfter(
            trx,
            automation.list_id,
            Number(fresh.after_event_id),
            EVENTS_READ,
          );
          const now = clock.now();
          for (const subscriberId of read.subscriberIds) {
            const run = { automationId: automation.id, subscriberId, dueAt: now + Number(first.delay_ms) };
            if (await repo.startRun(trx, { ...run, data: null }, now)) started++;
          }
          if (read.lastRead !== undefined) await repo.advanceEventCursor(trx, automation.id, read.lastRead);
          return read.more;
        });
      }
    }
    return started;
  }

  /** One batch of due steps in one transaction; how many runs it handled. */
  async function dueBatch(result: { queued: number; stopped: number }): Promise<number> {
    return database.transaction(async (trx) => {
      const now = clock.now();
      const runs = await repo.dueRuns(trx, database.dialect, now, BATCH);
      if (runs.length === 0) return 0;
      const automations = new Map((await repo.activeAutomations(trx)).map((a) => [Number(a.id), a]));
      const steps = new Map<number, repo.StepRow[]>();
      const domains = new Map<number, string>();
      const subscribers = await subscribersByIds(
        trx,
        runs.map((r) => r.subscriberId),
      );
      const hashes = new Map([...subscribers.values()].map((s) => [Number(s.id), suppressionHash(s.email_key)]));
      const suppressed = await suppressedAmong(trx, database.dialect, [...hashes.values()]);
      const statuses = new Map<number, Map<number, string>>();
      for (const run of runs) {
        const automation = automations.get(run.automationId);
        if (!automation) continue;
        const listId = Number(automation.list_id);
        if (!steps.has(run.automationId)) steps.set(run.automationId, await repo.stepsOf(trx, run.automationId));
        if (!domains.has(listId)) {
          const list = await findListById(trx, listId);
          domains.set(listId, list ? list.from_address.slice(list.from_address.lastIndexOf('@') + 1) : 'localhost');
        }
        if (!statuses.has(listId)) {
          const ids = runs.filter((r) => automations.get(r.automationId)?.list_id === automation.list_id);
          statuses.set(
            listId,
            await subscriptionStatuses(
              trx,
              listId,
              ids.map((r) => r.subscriberId),
            ),
          );
        }
        const flow = steps.get(run.automationId) as repo.StepRow[];
        const step = flow[run.position - 1];
        if (!step) {
          await repo.advanceRun(trx, run.id, run.position, 'done', now);
          continue;
        }
        const status = statuses.get(listId)?.get(run.subscriberId);
        const hash = hashes.get(run.subscriberId);
        const why =
          hash === undefined
            ? 'the subscriber was erased'
            : status !== 'confirmed'
              ? `the subscription is ${status ?? 'gone'}`
              : suppressed.has(hash)
                ? 'the address is suppressed'
                : undefined;
        if (why) {
          result.stopped += await repo.endRuns(
            trx,
            { subscriberId: run.subscriberId, runId: run.id },
            'stopped',
            why,
            now,
          );
          continue;
        }
        if (
          await enqueueAutomationMessage(
            trx,
            {
              runId: run.id,
              step: run.position,
              contentId: Number(step.campaign_id),
              listId,
              subscriberId: run.subscriberId,
              messageId: newMessageId(domains.get(listId) as string, now),
            },
            now,
          )
        )
          result.queued++;
        const next = flow[run.position];
        await repo.advanceRun(
          trx,
          run.id,
          run.position,
          next ? { position: run.position + 1, dueAt: now + Number(next.delay_ms) } : 'done',
          now,
        );
      }
      return runs.length;
    });
  }

  return {
    /** Starts welcome runs and queues every due step; what it did. */
    async tick(): Promise<{ started: number; queued: number; stopped: number }> {
      const started = await startWelcomes();
      const result = { started, queued: 0, stopped: 0 };
      while ((await dueBatch(result)) === BATCH) {
        if (result.queued > 0) deps.onQueued?.();
        // Between batches the thread answers requests and sends.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (result.queued > 0) deps.onQueued?.();
      return result;
    },
  };
}

export type AutomationScheduler = ReturnType<typeof createAutomationScheduler>;
