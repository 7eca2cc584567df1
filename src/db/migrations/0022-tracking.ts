import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idType, withId } from './column-helpers.js';

/**
 * Issue 18, engagement, privacy first.
 * - `lists.track_clicks`, `lists.track_opens`: off unless the owner turns them on, per list.
 * - `campaign_links`: each link of a campaign's mail that is tracked, by id (a click's signed
 *   token names the message and the link id, never the address, so no link can redirect elsewhere).
 * - `engagement`: opens and clicks with the message, campaign and person, and whether a machine made
 *   them (Apple Mail Privacy Protection, security scanners): those are kept apart from the rates.
 *   No IP address is stored.
 */
export function tracking(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = idType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('lists')
        .addColumn('track_clicks', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('lists')
        .addColumn('track_opens', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await withId(dialect, db.schema.createTable('campaign_links'))
        .addColumn('campaign_id', id, (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addUniqueConstraint('campaign_links_url', ['campaign_id', 'url'])
        .execute();
      await withId(dialect, db.schema.createTable('engagement'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('outbox_id', id, (c) => c.notNull())
        .addColumn('campaign_id', id)
        .addColumn('subscriber_id', id)
        .addColumn('link_id', id)
        .addColumn('machine', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('engagement_campaign').on('engagement').columns(['campaign_id', 'kind']).execute();
      await db.schema.createIndex('engagement_subscriber').on('engagement').columns(['subscriber_id']).execute();
    },
  };
}
