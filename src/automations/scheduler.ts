import type { Database, Db } from '../db/database.js';
import { readSetting, writeSetting } from '../db/settings.repo.js';
import { subscriptionStatuses, suppressedAmong } from '../consent/consent.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { findListById } from '../lists/lists.repo.js';
import { enqueueAutomationMessages, type AutomationMessage } from '../mail/automation-outbox.repo.js';
import { newMessageId } from '../mail/message-id.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { subscribersByIds } from '../subscribers/subscribers.repo.js';
import * as repo from './automations.repo.js';

const BATCH = 200;
/** Consent events a welcome flow reads per transaction (most are not its list's confirmations). */
const EVENTS_READ = 5000;
/** The settings key of the last consent event read for people who left (see stopLeavers). */
const LEAVERS_CURSOR = 'automations.leavers_after_event';
const LEAVERS_READS = 20;

/**
 * The durable timers of automations, run every few seconds under `serve`:
 * 1. confirmations on a welcome flow's list (consent events after its cursor) start runs, the
 *    cursor moving on in the same transaction;
 * 2. each due step is queued as mail and its run moved to the next step (or done) in one
 *    transaction, so a crash neither loses nor doubles a step (and the outbox's unique (run, step)
 *    index would refuse a second one). A person no longer confirmed on the list, or suppressed,
 *    has their run stopped instead: an unsubscribe ends every flow of that list, a suppression
 *    (complaint, unsubscribe from everything, erasure) every flow;
 * 3. before those, people who left since the last tick (unsubscribe, complaint and bounce events
 *    after the leavers' cursor) have their waiting runs stopped at once, so a flow shows them
 *    stopped, not waiting for a step that will never go.
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

  /**
   * Why each of these runs must stop, by run id: its person was erased, is no longer confirmed on
   * the flow's list (an unsubscribe ends every flow of that list) or is suppressed (a complaint,
   * a hard bounce, an unsubscribe from everything: every flow).
   */
  async function reasonsToStop(
    trx: Db,
    runs: ReadonlyArray<{ id: number; subscriberId: number; listId: number }>,
  ): Promise<Map<number, string>> {
    const subscribers = await subscribersByIds(trx, [...new Set(runs.map((r) => r.subscriberId))]);
    const hashes = new Map([...subscribers.values()].map((s) => [Number(s.id), suppressionHash(s.email_key)]));
    const suppressed = await suppressedAmong(trx, database.dialect, [...hashes.values()]);
    const statuses = new Map<number, Map<number, string>>();
    for (const listId of new Set(runs.map((r) => r.listId))) {
      const ids = runs.filter((r) => r.listId === listId).map((r) => r.subscriberId);
      statuses.set(listId, await subscriptionStatuses(trx, listId, [...new Set(ids)]));
    }
    const reasons = new Map<number, string>();
    for (const run of runs) {
      const status = statuses.get(run.listId)?.get(run.subscriberId);
      const hash = hashes.get(run.subscriberId);
      const why =
        hash === undefined
          ? 'the subscriber was erased'
          : status !== 'confirmed'
            ? `the subscription is ${status ?? 'gone'}`
            : suppressed.has(hash)
              ? 'the address is suppressed'
              : undefined;
      if (why) reasons.set(run.id, why);
    }
    return reasons;
  }

  /**
   * Runs of people who left (unsubscribed, complained, bounced: consent events after the
   * leavers' cursor) stop now, not when their next step is due; the step's own check stays.
   */
  async function stopLeavers(): Promise<number> {
    let stopped = 0;
    // At most LEAVERS_READS reads a tick (100,000 events): after a large import the due steps
    // are not kept waiting while the cursor catches up over several ticks.
    for (let more = true, reads = 0; more && reads < LEAVERS_READS; reads++) {
      more = await database.transaction(async (trx) => {
        const stored = await readSetting(trx, LEAVERS_CURSOR);
        if (stored === undefined || !(await repo.anyWaitingRun(trx))) {
          // Nobody waits: nothing before the newest event can stop a run.
          const newest = String(await repo.lastConsentEventId(trx));
          if (newest !== stored) await writeSetting(trx, LEAVERS_CURSOR, newest);
          return false;
        }
        const read = await repo.leaversAfter(trx, Number(stored), EVENTS_READ);
        const runs = await repo.waitingRunsOf(trx, read.subscriberIds);
        const now = clock.now();
        const byId = new Map(runs.map((r) => [r.id, r]));
        for (const [runId, why] of await reasonsToStop(trx, runs)) {
          const { subscriberId } = byId.get(runId) as { subscriberId: number };
          stopped += await repo.endRuns(trx, { subscriberId, runId }, 'stopped', why, now);
        }
        if (read.lastRead !== undefined) await writeSetting(trx, LEAVERS_CURSOR, String(read.lastRead));
        return read.more;
      });
    }
    return stopped;
  }

  /** One batch of due steps in one transaction; how many runs it handled. */
  async function dueBatch(result: { queued: number; stopped: number }): Promise<number> {
    return database.transaction(async (trx) => {
      const now = clock.now();
      const due = await repo.dueRuns(trx, database.dialect, now, BATCH);
      if (due.length === 0) return 0;
      const automations = new Map((await repo.activeAutomations(trx)).map((a) => [Number(a.id), a]));
      const runs = due.flatMap((run) => {
        const automation = automations.get(run.automationId);
        return automation ? [{ ...run, listId: Number(automation.list_id) }] : [];
      });
      const steps = new Map<number, repo.StepRow[]>();
      const domains = new Map<number, string>();
      const reasons = await reasonsToStop(trx, runs);
      const messages: AutomationMessage[] = [];
      // Runs moved on together: those of one flow at one step go to the same next step.
      const moves = new Map<
        string,
        { from: number; next: { position: number; dueAt: number } | 'done'; ids: number[] }
      >();
      const move = (
        automationId: number,
        from: number,
        next: { position: number; dueAt: number } | 'done',
        id: number,
      ) => {
        const key = `${automationId}:${from}`;
        const group = moves.get(key) ?? { from, next, ids: [] };
        group.ids.push(id);
        moves.set(key, group);
      };
      for (const run of runs) {
        const { listId } = run;
        if (!steps.has(run.automationId)) steps.set(run.automationId, await repo.stepsOf(trx, run.automationId));
        if (!domains.has(listId)) {
          const list = await findListById(trx, listId);
          domains.set(listId, list ? list.from_address.slice(list.from_address.lastIndexOf('@') + 1) : 'localhost');
        }
        const flow = steps.get(run.automationId) as repo.StepRow[];
        const step = flow[run.position - 1];
        if (!step) {
          move(run.automationId, run.position, 'done', run.id);
          continue;
        }
        const why = reasons.get(run.id);
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
        messages.push({
          automationId: run.automationId,
          runId: run.id,
          step: run.position,
          contentId: Number(step.campaign_id),
          listId,
          subscriberId: run.subscriberId,
          messageId: newMessageId(domains.get(listId) as string, now),
        });
        const next = flow[run.position];
        move(
          run.automationId,
          run.position,
          next ? { position: run.position + 1, dueAt: now + Number(next.delay_ms) } : 'done',
          run.id,
        );
      }
      // The steps queued (once: a step queued already is not queued again) and the runs moved on,
      // in this one transaction.
      result.queued += (await enqueueAutomationMessages(trx, database.dialect, messages, now)).size;
      for (const group of moves.values()) await repo.advanceRuns(trx, group.ids, group.from, group.next, now);
      return due.length;
    });
  }

  return {
    /** Starts welcome runs and queues every due step; what it did. */
    async tick(): Promise<{ started: number; queued: number; stopped: number }> {
      const started = await startWelcomes();
      const result = { started, queued: 0, stopped: await stopLeavers() };
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
