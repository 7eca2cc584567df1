import type { Selectable } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import { skipLocked } from '../db/dialect-sql.js';
import { sql } from '../db/kysely-runtime.js';
import type { AutomationRunStatus, AutomationsTable, AutomationStepsTable } from '../db/schema.js';

export type AutomationRow = Selectable<AutomationsTable> & { list_slug: string };
export type StepRow = Selectable<AutomationStepsTable>;

export async function insertAutomation(
  db: Db,
  automation: {
    slug: string;
    listId: number;
    trigger: 'confirmed' | 'event';
    event: string | null;
    cancelEvents: string[];
    afterEventId: number;
  },
  now: number,
): Promise<number> {
  const row = await db
    .insertInto('automations')
    .values({
      slug: automation.slug,
      list_id: automation.listId,
      trigger: automation.trigger,
      event: automation.event,
      cancel_events: JSON.stringify(automation.cancelEvents),
      status: 'active',
      after_event_id: automation.afterEventId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

function withList(db: Db) {
  return db
    .selectFrom('automations as a')
    .innerJoin('lists as l', 'l.id', 'a.list_id')
    .selectAll('a')
    .select('l.slug as list_slug');
}

export async function findAutomation(db: Db, slug: string): Promise<AutomationRow | undefined> {
  return withList(db).where('a.slug', '=', slug).executeTakeFirst();
}

export async function allAutomations(db: Db): Promise<AutomationRow[]> {
  return withList(db).orderBy('a.slug').execute();
}

/** Active automations started by `event`, or cancelled by it (the caller tells which). */
export async function activeAutomations(db: Db): Promise<AutomationRow[]> {
  return withList(db).where('a.status', '=', 'active').orderBy('a.id').execute();
}

export async function setAutomationStatus(
  db: Db,
  id: number,
  status: 'active' | 'paused',
  reason: string | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('automations')
    .set({ status, stop_reason: reason, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function insertStep(
  db: Db,
  step: { automationId: number; position: number; delayMs: number; campaignId: number },
  now: number,
): Promise<void> {
  await db
    .insertInto('automation_steps')
    .values({
      automation_id: step.automationId,
      position: step.position,
      delay_ms: step.delayMs,
      campaign_id: step.campaignId,
      created_at: now,
    })
    .execute();
}

export async function stepsOf(db: Db, automationId: number): Promise<StepRow[]> {
  return db
    .selectFrom('automation_steps')
    .selectAll()
    .where('automation_id', '=', automationId)
    .orderBy('position')
    .execute();
}

/** Starts a person's run (its first step due at `dueAt`); false when they have one waiting already. */
export async function startRun(
  db: Db,
  run: { automationId: number; subscriberId: number; dueAt: number; data: string | null },
  now: number,
): Promise<boolean> {
  const inserted = await db
    .insertInto('automation_runs')
    .values({
      automation_id: run.automationId,
      subscriber_id: run.subscriberId,
      status: 'waiting',
      position: 1,
      due_at: run.dueAt,
      data: run.data,
      started_at: now,
      updated_at: now,
    })
    // The conflict target names the partial index's predicate as written (SQLite matches it literally).
    .onConflict((c) =>
      c
        .columns(['automation_id', 'subscriber_id'])
        .where(sql<boolean>`status = 'waiting'`)
        .doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export interface DueRun {
  id: number;
  automationId: number;
  subscriberId: number;
  position: number;
  data: string | null;
}

/**
 * Waiting runs of active automations whose step is due, oldest first; locked on PostgreSQL until
 * the transaction ends, and skipped by other processes meanwhile.
 */
export async function dueRuns(trx: Db, dialect: Dialect, now: number, limit: number): Promise<DueRun[]> {
  const query = trx
    .selectFrom('automation_runs as r')
    .select(['r.id', 'r.automation_id', 'r.subscriber_id', 'r.position', 'r.data'])
    .where('r.status', '=', 'waiting')
    .where('r.due_at', '<=', now)
    .where((q) =>
      q.exists(
        q
          .selectFrom('automations as a')
          .select('a.id')
          .whereRef('a.id', '=', 'r.automation_id')
          .where('a.status', '=', 'active'),
      ),
    )
    .orderBy('r.due_at')
    .limit(limit);
  const rows = await skipLocked(dialect, query).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    automationId: Number(r.automation_id),
    subscriberId: Number(r.subscriber_id),
    position: r.position,
    data: r.data,
  }));
}

/**
 * Moves runs that are all at step `from` on: to the next step at `dueAt`, or done, in one
 * statement (a run that moved already is left as it is).
 */
export async function advanceRuns(
  trx: Db,
  runIds: readonly number[],
  from: number,
  next: { position: number; dueAt: number } | 'done',
  now: number,
): Promise<void> {
  if (runIds.length === 0) return;
  await trx
    .updateTable('automation_runs')
    .set(
      next === 'done'
        ? { status: 'done', position: from + 1, updated_at: now }
        : { position: next.position, due_at: next.dueAt, updated_at: now },
    )
    .where('id', 'in', [...runIds])
    .where('position', '=', from)
    .where('status', '=', 'waiting')
    .execute();
}

/** Ends waiting runs (of one automation, or all) of a person; how many it ended. */
export async function endRuns(
  trx: Db,
  filter: { subscriberId: number; automationId?: number; runId?: number },
  status: Extract<AutomationRunStatus, 'cancelled' | 'stopped'>,
  reason: string,
  now: number,
): Promise<number> {
  let query = trx
    .updateTable('automation_runs')
    .set({ status, end_reason: reason, updated_at: now })
    .where('subscriber_id', '=', filter.subscriberId)
    .where('status', '=', 'waiting');
  if (filter.automationId !== undefined) query = query.where('automation_id', '=', filter.automationId);
  if (filter.runId !== undefined) query = query.where('id', '=', filter.runId);
  return Number((await query.executeTakeFirst()).numUpdatedRows);
}

/** A person's runs are deleted with them (their event data is personal). */
export async function deleteRunsOf(trx: Db, subscriberId: number): Promise<void> {
  await trx.deleteFrom('automation_runs').where('subscriber_id', '=', subscriberId).execute();
}

/** Runs of an automation by status. */
export async function runCounts(db: Db, automationId: number): Promise<Partial<Record<AutomationRunStatus, number>>> {
  const rows = await db
    .selectFrom('automation_runs')
    .select((q) => ['status', q.fn.countAll<number>().as('n')])
    .where('automation_id', '=', automationId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Moves the confirmation cursor of a flow on (never back). */
export async function advanceEventCursor(trx: Db, automationId: number, after: number): Promise<void> {
  await trx
    .updateTable('automations')
    .set({ after_event_id: after })
    .where('id', '=', automationId)
    .where('after_event_id', '<', after)
    .execute();
}

/** A page of consent events after a cursor: the people of the events a reader wants, and where it stopped. */
interface EventPage {
  subscriberIds: number[];
  lastRead: number | undefined;
  more: boolean;
}

/**
 * The next `limit` consent events after `afterId`, and the subscribers of those `wanted` keeps:
 * a cursor moves past every event read, so an import's millions of other events are read once,
 * not at every tick. An erased person's events keep no subscriber and are read past.
 */
async function subscribersOfEventsAfter(
  db: Db,
  afterId: number,
  limit: number,
  wanted: (event: { type: string; list_id: number | null }) => boolean,
): Promise<EventPage> {
  const rows = await db
    .selectFrom('consent_events')
    .select(['id', 'type', 'list_id', 'subscriber_id'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  const last = rows[rows.length - 1];
  return {
    subscriberIds: rows.filter((r) => r.subscriber_id !== null && wanted(r)).map((r) => Number(r.subscriber_id)),
    lastRead: last ? Number(last.id) : undefined,
    more: rows.length === limit,
  };
}

/** Confirmations on a list among the next `limit` consent events after `afterId` (the people a welcome flow starts for). */
export async function confirmationsAfter(db: Db, listId: number, afterId: number, limit: number): Promise<EventPage> {
  return subscribersOfEventsAfter(db, afterId, limit, (e) => e.type === 'confirmed' && Number(e.list_id) === listId);
}

/** The newest consent event's id: a new flow starts after it (it welcomes nobody from the past). */
export async function lastConsentEventId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('consent_events')
    .select((q) => q.fn.max('id').as('last'))
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

/** The event data a run was started with (the templates' `event`); empty when none. */
export async function runData(db: Db, runId: number): Promise<Record<string, unknown>> {
  const row = await db.selectFrom('automation_runs').select('data').where('id', '=', runId).executeTakeFirst();
  return row?.data ? (JSON.parse(row.data) as Record<string, unknown>) : {};
}

/** The event data of many runs at once (a claimed batch), by run id; runs without data are left out. */
export async function runDataOf(db: Db, runIds: readonly number[]): Promise<Map<number, Record<string, unknown>>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('automation_runs')
    .select(['id', 'data'])
    .where('id', 'in', [...runIds])
    .where('data', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [Number(r.id), JSON.parse(r.data as string) as Record<string, unknown>]));
}

/** The automation a run belongs to. */
export async function automationOfRun(db: Db, runId: number): Promise<number | undefined> {
  const row = await db.selectFrom('automation_runs').select('automation_id').where('id', '=', runId).executeTakeFirst();
  return row ? Number(row.automation_id) : undefined;
}

/** Pauses every active automation with `reason` (a blocklist listing of our sending IP); their names. */
export async function pauseAllActive(trx: Db, reason: string, now: number): Promise<string[]> {
  const active = await trx.selectFrom('automations').select(['id', 'slug']).where('status', '=', 'active').execute();
  if (active.length === 0) return [];
  await trx
    .updateTable('automations')
    .set({ status: 'paused', stop_reason: reason, updated_at: now })
    .where('status', '=', 'active')
    .execute();
  return active.map((a) => a.slug);
}

/** Consent events after which a person may have to leave their flows. */
const LEAVING: ReadonlyArray<'unsubscribed' | 'complaint' | 'bounce'> = ['unsubscribed', 'complaint', 'bounce'];

/** People with an unsubscribe, complaint or bounce among the next `limit` consent events after `afterId`, each once. */
export async function leaversAfter(db: Db, afterId: number, limit: number): Promise<EventPage> {
  const page = await subscribersOfEventsAfter(db, afterId, limit, (e) =>
    (LEAVING as readonly string[]).includes(e.type),
  );
  return { ...page, subscriberIds: [...new Set(page.subscriberIds)] };
}

/** Whether any run waits (when none does, the leavers' cursor jumps to the newest event). */
export async function anyWaitingRun(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('automation_runs')
    .select('id')
    .where('status', '=', 'waiting')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The waiting runs of these people, with their flow's list. */
export async function waitingRunsOf(
  db: Db,
  subscriberIds: readonly number[],
): Promise<Array<{ id: number; subscriberId: number; listId: number }>> {
  if (subscriberIds.length === 0) return [];
  const rows = await db
    .selectFrom('automation_runs as r')
    .innerJoin('automations as a', 'a.id', 'r.automation_id')
    .select(['r.id', 'r.subscriber_id', 'a.list_id'])
    .where('r.status', '=', 'waiting')
    .where('r.subscriber_id', 'in', [...subscriberIds])
    .execute();
  return rows.map((r) => ({ id: Number(r.id), subscriberId: Number(r.subscriber_id), listId: Number(r.list_id) }));
}
