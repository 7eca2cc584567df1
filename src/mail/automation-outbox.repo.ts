import type { Db, Dialect } from '../db/database.js';
import { insertRows } from '../db/bulk-sql.js';

/** One step of one person's automation run, to be queued. */
export interface AutomationMessage {
  automationId: number;
  runId: number;
  step: number;
  contentId: number;
  listId: number;
  subscriberId: number;
  messageId: string;
}

/**
 * Queues steps of automation runs, many in one statement: messages of kind `automation` whose
 * content is the step's campaign row (named in the payload). The unique (run, step) index makes
 * each once: the answer holds the runs whose step was queued now (not the ones queued already).
 */
export async function enqueueAutomationMessages(
  trx: Db,
  dialect: Dialect,
  messages: readonly AutomationMessage[],
  now: number,
): Promise<Set<number>> {
  const inserted = await insertRows<{ automation_run_id: number }>(
    trx,
    dialect,
    {
      table: 'outbox',
      columns: [
        ['kind', 'text'],
        ['list_id', 'bigint'],
        ['subscriber_id', 'bigint'],
        ['message_id', 'text'],
        ['status', 'text'],
        ['attempts', 'integer'],
        ['next_attempt_at', 'bigint'],
        ['created_at', 'bigint'],
        ['updated_at', 'bigint'],
        ['payload', 'text'],
        ['automation_run_id', 'bigint'],
        ['automation_step', 'integer'],
        ['automation_id', 'bigint'],
      ],
      suffix:
        'on conflict ("automation_run_id", "automation_step") where "automation_run_id" is not null do nothing returning "automation_run_id"',
    },
    messages.map((m) => [
      'automation',
      m.listId,
      m.subscriberId,
      m.messageId,
      'queued',
      0,
      now,
      now,
      now,
      JSON.stringify({ contentId: m.contentId }),
      m.runId,
      m.step,
      m.automationId,
    ]),
  );
  return new Set(inserted.map((r) => Number(r.automation_run_id)));
}

/** Queues again the held mail of an automation's runs (its resume); how many. */
export async function releaseHeldAutomationMail(trx: Db, automationId: number, now: number): Promise<number> {
  const result = await trx
    .updateTable('outbox')
    .set({ status: 'queued', next_attempt_at: now, updated_at: now })
    .where('kind', '=', 'automation')
    .where('status', '=', 'held')
    .where('automation_run_id', 'in', (q) =>
      q.selectFrom('automation_runs').select('id').where('automation_id', '=', automationId),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Mail of an automation's steps by status (`automations show`). */
export async function automationMailCounts(db: Db, automationId: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select((q) => ['status', q.fn.countAll<number>().as('n')])
    .where('automation_id', '=', automationId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
