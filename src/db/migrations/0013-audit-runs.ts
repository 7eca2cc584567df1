import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { withId } from './column-helpers.js';

/** Each run of the host audit (from the console or `listwarden audit`): when, who, the score and the findings. */
export function auditRuns(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('audit_runs'))
        .addColumn('started_at', time, (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('score', 'integer', (c) => c.notNull())
        /** JSON array of the findings (id, severity, title, evidence, expected, fix), most severe first. */
        .addColumn('findings', 'text', (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('skipped', 'integer', (c) => c.notNull())
        /** Who ran it: `console (<email>)` or `cli`. */
        .addColumn('who', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
