import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { withId } from './column-helpers.js';

/** One row per scheduled blocklist check of a sending IP and its range. */
export function reputation(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('reputation_checks'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('range', 'integer', (c) => c.notNull())
        /** JSON array of `zone` where the IP itself is listed. */
        .addColumn('self_listed', 'text', (c) => c.notNull())
        .addColumn('neighbours_listed', 'integer', (c) => c.notNull())
        /** JSON: zone health, listings (capped), errors. */
        .addColumn('result', 'text', (c) => c.notNull())
        /** JSON array of the changes since the previous check. */
        .addColumn('changes', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('reputation_checks_ip_at').on('reputation_checks').columns(['ip', 'at']).execute();
    },
  };
}
