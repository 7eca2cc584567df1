import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { sql } from '../kysely-runtime.js';
import { idType, withId } from './column-helpers.js';

/**
 * Issue 16, shop streams.
 * - `tx_templates`: stored transactional templates by slug (Liquid or MJML, `essential` ones pass
 *   complaint and unsubscribe suppression); `tx_requests`: idempotency keys of `POST /api/v1/tx`,
 *   kept 24 hours, each naming the outbox row it made. Transactional mail itself is `outbox` rows
 *   of kind `transactional` (its content in `payload`, its recipient's hash in `recipient_hash`).
 * - `webhook_endpoints` (the secret sealed under the installation's secret), `webhook_events` (one
 *   row per event), `webhook_deliveries` (one per event and endpoint, leased like mail) and
 *   `webhook_attempts` (the delivery log: each try's response code).
 * - `inbound_webhooks`: delivery ids of Shopify and WooCommerce webhooks already applied (replay
 *   protection), kept longer than the timestamp window.
 */
export function shopStreams(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('tx_templates'))
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('text', 'text')
        .addColumn('from_address', 'text')
        .addColumn('essential', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tx_requests')
        .addColumn('idempotency_key', 'text', (c) => c.primaryKey())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('outbox_id', idType(dialect), (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tx_requests_created').on('tx_requests').column('created_at').execute();

      await withId(dialect, db.schema.createTable('webhook_endpoints'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('failing_since', time)
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await withId(dialect, db.schema.createTable('webhook_events'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .execute();
      await withId(dialect, db.schema.createTable('webhook_deliveries'))
        .addColumn('endpoint_id', idType(dialect), (c) =>
          c.notNull().references('webhook_endpoints.id').onDelete('cascade'),
        )
        .addColumn('event_id', idType(dialect), (c) => c.notNull().references('webhook_events.id').onDelete('cascade'))
        .addColumn('ordering_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', time, (c) => c.notNull())
        .addColumn('lease_until', time)
        .addColumn('leased_by', 'text')
        .addColumn('last_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('delivered_at', time)
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_order')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'ordering_key', 'id'])
        .execute();
      await withId(dialect, db.schema.createTable('webhook_attempts'))
        .addColumn('delivery_id', idType(dialect), (c) =>
          c.notNull().references('webhook_deliveries.id').onDelete('cascade'),
        )
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').column('delivery_id').execute();

      await db.schema
        .createTable('inbound_webhooks')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('received_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('inbound_webhooks_pk', ['source', 'delivery_id'])
        .execute();
      await db.schema.createIndex('inbound_webhooks_received').on('inbound_webhooks').column('received_at').execute();
      // A transactional message's recipient (SHA-256 of the address, as in suppressions): erasure
      // finds that person's order mail by it.
      await db.schema.alterTable('outbox').addColumn('recipient_hash', 'text').execute();
      // Each stream's worker claims its own kinds of mail outside campaigns: one index range per kind.
      await db.schema
        .createIndex('outbox_due_by_kind')
        .on('outbox')
        .columns(['status', 'kind', 'next_attempt_at'])
        .where(sql.ref('campaign_id'), 'is', null)
        .execute();
      await db.schema
        .createIndex('outbox_recipient_hash')
        .on('outbox')
        .column('recipient_hash')
        .where(sql.ref('recipient_hash'), 'is not', null)
        .execute();
    },
  };
}
