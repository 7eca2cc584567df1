import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely-runtime.js';
import type { Dialect } from '../database.js';

/**
 * Issue 17, fewer index writes per imported subscriber. The (status, updated_at) index serves only
 * the purge of stale pending sign-ups, so it keeps only pending rows. On SQLite, subscriptions
 * become a WITHOUT ROWID table: the primary key (subscriber, list) is the table itself instead of
 * a second B-tree beside the rowid one.
 */
export function leanSubscriptions(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.dropIndex('subscriptions_status_updated').execute();
      if (dialect === 'sqlite') {
        await sql`create table subscriptions_lean (
          subscriber_id integer not null references subscribers (id) on delete cascade,
          list_id integer not null references lists (id) on delete cascade,
          status text not null,
          created_at bigint not null,
          updated_at bigint not null,
          confirmed_at bigint,
          unsubscribed_at bigint,
          repermission_at bigint,
          constraint subscriptions_pk primary key (subscriber_id, list_id)
        ) without rowid`.execute(db);
        await sql`insert into subscriptions_lean (subscriber_id, list_id, status, created_at, updated_at,
          confirmed_at, unsubscribed_at, repermission_at)
          select subscriber_id, list_id, status, created_at, updated_at, confirmed_at, unsubscribed_at,
          repermission_at from subscriptions`.execute(db);
        await sql`drop table subscriptions`.execute(db);
        await sql`alter table subscriptions_lean rename to subscriptions`.execute(db);
        await db.schema
          .createIndex('subscriptions_list_status')
          .on('subscriptions')
          .columns(['list_id', 'status', 'subscriber_id'])
          .execute();
        await db.schema
          .createIndex('subscriptions_repermission_due')
          .on('subscriptions')
          .column('repermission_at')
          .where('repermission_at', 'is not', null)
          .execute();
      }
      await db.schema
        .createIndex('subscriptions_status_updated')
        .on('subscriptions')
        .columns(['status', 'updated_at'])
        .where(sql.ref('status'), '=', sql.lit('pending'))
        .execute();
    },
  };
}
