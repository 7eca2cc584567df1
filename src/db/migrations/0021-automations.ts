import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { sql } from '../kysely-runtime.js';
import { idType, withId } from './column-helpers.js';

/**
 * Issue 18, automations.
 * - `automations`: a flow on one list, started by a confirmation (`trigger` confirmed) or by an
 *   event the shop posts (`trigger` event, `event` its name), cancelled by the events in
 *   `cancel_events` (JSON array); `after_event_id`: the consent events a confirmation flow has read.
 * - `automation_steps`: the mails of a flow in order, each after `delay_ms`; the content is a
 *   campaign row of status `automation` (rendered and signed as campaign mail, approved when added).
 * - `automation_runs`: one person going through one flow, the durable timer of their next step
 *   (`position`, `due_at`); at most one waiting run per person and flow.
 * - outbox `automation_run_id`, `automation_step`: the step a message is, unique, so a step is
 *   queued once whatever crashes.
 */
export function automations(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = idType(dialect);
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('automations'))
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('list_id', id, (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('event', 'text')
        .addColumn('cancel_events', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('stop_reason', 'text')
        .addColumn('after_event_id', id, (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await withId(dialect, db.schema.createTable('automation_steps'))
        .addColumn('automation_id', id, (c) => c.notNull().references('automations.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('delay_ms', time, (c) => c.notNull())
        .addColumn('campaign_id', id, (c) => c.notNull().references('campaigns.id'))
        .addColumn('created_at', time, (c) => c.notNull())
        .addUniqueConstraint('automation_steps_position', ['automation_id', 'position'])
        .execute();
      await withId(dialect, db.schema.createTable('automation_runs'))
        .addColumn('automation_id', id, (c) => c.notNull().references('automations.id').onDelete('cascade'))
        .addColumn('subscriber_id', id, (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('due_at', time, (c) => c.notNull())
        .addColumn('data', 'text')
        .addColumn('end_reason', 'text')
        .addColumn('started_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('automation_runs_due').on('automation_runs').columns(['status', 'due_at']).execute();
      await db.schema
        .createIndex('automation_runs_one_waiting')
        .on('automation_runs')
        .columns(['automation_id', 'subscriber_id'])
        .unique()
        .where(sql<boolean>`status = 'waiting'`)
        .execute();
      await db.schema
        .createIndex('automation_runs_subscriber')
        .on('automation_runs')
        .columns(['subscriber_id', 'status'])
        .execute();
      await db.schema.alterTable('outbox').addColumn('automation_run_id', id).execute();
      await db.schema.alterTable('outbox').addColumn('automation_step', 'integer').execute();
      await db.schema
        .createIndex('outbox_automation_step')
        .on('outbox')
        .columns(['automation_run_id', 'automation_step'])
        .unique()
        .where('automation_run_id', 'is not', null)
        .execute();
    },
  };
}
