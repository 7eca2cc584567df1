import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idType, withId } from './column-helpers.js';

/** Campaigns; the outbox already has campaign_id. */
export function campaigns(dialect: Dialect): Migration {
  const ref = idType(dialect);
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('campaigns'))
        .addColumn('list_id', ref, (c) => c.notNull().references('lists.id'))
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('send_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('stop_reason', 'text')
        .addColumn('self_test', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('campaigns_status').on('campaigns').columns(['status', 'send_at']).execute();
      await db.schema
        .createIndex('outbox_campaign_status')
        .on('outbox')
        .columns(['campaign_id', 'status'])
        .where('campaign_id', 'is not', null)
        .execute();
    },
  };
}
