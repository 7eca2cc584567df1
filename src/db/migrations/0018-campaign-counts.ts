import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely-runtime.js';

/**
 * Issue 17: a campaign's mail counted as it moves, so `campaigns status` reads a few rows at any
 * size instead of counting the campaign's outbox rows. `queued` counts queued and sending mail.
 * Each worker adds to its own shard, so PostgreSQL workers do not queue on one counter row; a
 * reader sums the shards. Filled here from the outbox as it is.
 *
 * A campaign's fan-out now runs while it sends: `fanout_after` is the subscriber id it has queued
 * up to (null once every recipient is queued), so a restarted process carries on where it stopped.
 * `guard_base` is the count of delivered mail when a forced resume restarted the circuit breaker.
 */
export function campaignCounts(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('campaign_counts')
        .addColumn('campaign_id', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('shard', 'integer', (c) => c.notNull())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('campaign_counts_pk', ['campaign_id', 'status', 'shard'])
        .execute();
      await sql`
        insert into campaign_counts (campaign_id, status, shard, n)
        select campaign_id, case when status = 'sending' then 'queued' else status end, 0, count(*)
        from outbox where campaign_id is not null
        group by campaign_id, case when status = 'sending' then 'queued' else status end`.execute(db);
      await db.schema.alterTable('campaigns').addColumn('fanout_after', 'bigint').execute();
      await db.schema
        .alterTable('campaigns')
        .addColumn('guard_base', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
