import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely-runtime.js';

/**
 * Issue 18, the automation's view at scale: outbox `automation_id` names the flow an automation
 * message belongs to (set when its step is queued; earlier rows filled in from their run), and
 * `outbox_automation_status` (automation_id, status) lets `automations show` count a flow's mail
 * by status from the index alone instead of joining every run (60 ms at 100,000 messages, polled
 * by a console or a script while the mail goes out).
 */
export function automationMailCounts(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('outbox').addColumn('automation_id', 'bigint').execute();
      await sql`update outbox set automation_id = (select r.automation_id from automation_runs r
        where r.id = outbox.automation_run_id) where automation_run_id is not null`.execute(db);
      await db.schema
        .createIndex('outbox_automation_status')
        .on('outbox')
        .columns(['automation_id', 'status'])
        .where('automation_id', 'is not', null)
        .execute();
    },
  };
}
