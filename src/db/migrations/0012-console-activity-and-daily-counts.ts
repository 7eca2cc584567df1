import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idType, withId } from './column-helpers.js';

/**
 * `activity`: every console action with the user who did it (and denied attempts).
 * `daily_counts`: one row per UTC day and measure (delivered, refused, hard bounces, …), kept
 * incrementally where the event happens, so the dashboard reads at most a few hundred rows.
 */
export function consoleActivityAndDailyCounts(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('activity'))
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('user_id', idType(dialect), (c) => c.references('users.id').onDelete('set null'))
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('outcome', 'integer', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema
        .createTable('daily_counts')
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('measure', 'text', (c) => c.notNull())
        .addColumn('count', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('daily_counts_pk', ['day', 'measure'])
        .execute();
    },
  };
}
