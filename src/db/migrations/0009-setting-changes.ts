import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { withId } from './column-helpers.js';

/** Every change of a stored setting: who, when, the old and the new value (null: not set). */
export function settingChanges(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('setting_changes'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
        .execute();
    },
  };
}
