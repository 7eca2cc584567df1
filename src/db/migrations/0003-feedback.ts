import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idType, withId } from './column-helpers.js';

/** Bounces, complaints and auto-replies; a quarantine for what could not be read; guard state. */
export function feedback(dialect: Dialect): Migration {
  const ref = idType(dialect);
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('feedback_events'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('style', 'text', (c) => c.notNull())
        .addColumn('outbox_id', ref)
        .addColumn('campaign_id', ref)
        .addColumn('list_id', ref)
        .addColumn('subscriber_id', ref, (c) => c.references('subscribers.id').onDelete('set null'))
        .addColumn('recipient', 'text')
        .addColumn('status', 'text')
        .addColumn('diagnostic', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('report_message_id', 'text')
        .execute();
      await db.schema
        .createIndex('feedback_events_campaign')
        .on('feedback_events')
        .columns(['campaign_id', 'kind'])
        .execute();
      await db.schema
        .createIndex('feedback_events_subscriber')
        .on('feedback_events')
        .columns(['subscriber_id', 'kind', 'at'])
        .execute();
      await db.schema.createIndex('feedback_events_at').on('feedback_events').column('at').execute();
      // Intake is idempotent: a report already applied (same Message-ID, same message of ours) is skipped.
      await db.schema
        .createIndex('feedback_events_report')
        .on('feedback_events')
        .columns(['report_message_id', 'outbox_id'])
        .execute();

      await withId(dialect, db.schema.createTable('feedback_quarantine'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('raw', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .execute();

      // Owner notifications (circuit breaker) are outbox mail whose content is kept in the row.
      await db.schema.alterTable('outbox').addColumn('payload', 'text').execute();
      // Campaign counters (rate of the last minute, deliveries for the guard) read a range of this
      // index instead of every sent row of the campaign.
      await db.schema.dropIndex('outbox_campaign_status').execute();
      await db.schema
        .createIndex('outbox_campaign_status')
        .on('outbox')
        .columns(['campaign_id', 'status', 'sent_at'])
        .where('campaign_id', 'is not', null)
        .execute();
      // A forced resume starts the guard's count afresh from this time.
      await db.schema.alterTable('campaigns').addColumn('guard_since', 'bigint').execute();
    },
  };
}
