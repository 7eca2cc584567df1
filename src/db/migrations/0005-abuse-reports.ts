import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { withId } from './column-helpers.js';

/** Abuse reports addressed to the host (ARF, X-ARF): linked to our outbox, or proof of mail we did not send. */
export function abuseReports(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('abuse_reports'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('style', 'text', (c) => c.notNull())
        /** 'ours': the reported message is in our outbox; 'foreign': it is not. */
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('report_type', 'text', (c) => c.notNull())
        .addColumn('reported_message_id', 'text')
        .addColumn('reported_from', 'text')
        .addColumn('report_message_id', 'text')
        .addColumn('outbox_id', 'bigint')
        .addColumn('campaign_id', 'bigint')
        .execute();
      await db.schema.createIndex('abuse_reports_verdict_at').on('abuse_reports').columns(['verdict', 'at']).execute();
    },
  };
}
