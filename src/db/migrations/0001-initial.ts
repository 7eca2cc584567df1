import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idType, withId } from './column-helpers.js';

/** Lists, consent, subscribers, suppressions, the outbox and API keys. */
export function initial(dialect: Dialect): Migration {
  const ref = idType(dialect);
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('lists'))
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('from_name', 'text')
        .addColumn('from_address', 'text', (c) => c.notNull())
        .addColumn('reply_to', 'text')
        .addColumn('allowed_origins', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await withId(dialect, db.schema.createTable('consent_texts'))
        .addColumn('list_id', ref, (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('consent_texts_list_version', ['list_id', 'version'])
        .execute();

      await withId(dialect, db.schema.createTable('subscribers'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('subscriptions')
        .addColumn('subscriber_id', ref, (c) => c.notNull().references('subscribers.id').onDelete('cascade'))
        .addColumn('list_id', ref, (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('confirmed_at', 'bigint')
        .addColumn('unsubscribed_at', 'bigint')
        // When an imported address without proof gets its re-permission mail (throttled).
        .addColumn('repermission_at', 'bigint')
        .addPrimaryKeyConstraint('subscriptions_pk', ['subscriber_id', 'list_id'])
        .execute();
      await db.schema
        .createIndex('subscriptions_list_status')
        .on('subscriptions')
        .columns(['list_id', 'status', 'subscriber_id'])
        .execute();
      await db.schema
        .createIndex('subscriptions_status_updated')
        .on('subscriptions')
        .columns(['status', 'updated_at'])
        .execute();
      await db.schema
        .createIndex('subscriptions_repermission_due')
        .on('subscriptions')
        .column('repermission_at')
        .where('repermission_at', 'is not', null)
        .execute();

      await withId(dialect, db.schema.createTable('consent_events'))
        .addColumn('subscriber_id', ref, (c) => c.references('subscribers.id').onDelete('set null'))
        .addColumn('list_id', ref, (c) => c.references('lists.id').onDelete('set null'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('source', 'text')
        .addColumn('consent_text_id', ref, (c) => c.references('consent_texts.id'))
        .addColumn('detail', 'text')
        .execute();
      await db.schema
        .createIndex('consent_events_subscriber')
        .on('consent_events')
        .columns(['subscriber_id', 'at'])
        .execute();

      await db.schema
        .createTable('suppressions')
        .addColumn('email_hash', 'text', (c) => c.primaryKey())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await withId(dialect, db.schema.createTable('outbox'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('campaign_id', ref)
        .addColumn('list_id', ref, (c) => c.references('lists.id').onDelete('set null'))
        .addColumn('subscriber_id', ref, (c) => c.references('subscribers.id').onDelete('set null'))
        .addColumn('message_id', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', 'bigint')
        .addColumn('leased_by', 'text')
        .addColumn('last_error', 'text')
        .addColumn('response', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      // One message per recipient and campaign; partial, so confirmations (no campaign) skip it.
      await db.schema
        .createIndex('outbox_campaign_subscriber')
        .on('outbox')
        .columns(['campaign_id', 'subscriber_id'])
        .unique()
        .where('campaign_id', 'is not', null)
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema
        .createIndex('outbox_recipient_kind')
        .on('outbox')
        .columns(['subscriber_id', 'list_id', 'kind', 'created_at'])
        .execute();

      await withId(dialect, db.schema.createTable('api_keys'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
