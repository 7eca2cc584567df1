import type { Db } from '../db/database.js';

/**
 * Queues one step of one person's automation run: a message of kind `automation` whose content is
 * the step's campaign row (named in the payload). The unique (run, step) index makes it once:
 * false when that step of that run is queued already.
 */
export async function enqueueAutomationMessage(
  trx: Db,
  message: {
    runId: number;
    step: number;
    contentId: number;
    listId: number;
    subscriberId: number;
    messageId: string;
  },
  now: number,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('outbox')
    .values({
      kind: 'automation',
      campaign_id: null,
      list_id: message.listId,
      subscriber_id: message.subscriberId,
      message_id: message.messageId,
      status: 'queued',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
      payload: JSON.stringify({ contentId: message.contentId }),
      recipient_hash: null,
      automation_run_id: message.runId,
      automation_step: message.step,
    })
    .onConflict((c) =>
      c.columns(['automation_run_id', 'automation_step']).where('automation_run_id', 'is not', null).doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
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
    .selectFrom('outbox as o')
    .innerJoin('automation_runs as r', 'r.id', 'o.automation_run_id')
    .select((q) => ['o.status', q.fn.countAll<number>().as('n')])
    .where('r.automation_id', '=', automationId)
    .groupBy('o.status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
