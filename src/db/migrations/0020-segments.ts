import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idType, withId } from './column-helpers.js';

/**
 * Issue 18, segments.
 * - `list_attributes`: the type a list declares for a subscriber attribute (string, number, date,
 *   boolean, list), which updates are checked against and filters compare as.
 * - `segments`: a named filter over one list's confirmed subscribers (the filter's text, read and
 *   compiled to parameterised SQL each time it is used).
 * - `campaigns.segment_id` and `campaigns.audience_filter`: the segment a campaign goes to and the
 *   filter it sends with (copied from the segment when the campaign starts, so editing the segment
 *   later does not change a campaign that is sending); `campaigns.exclude_lists`: a JSON array of
 *   list ids whose confirmed subscribers it leaves out.
 */
export function segments(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = idType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('list_attributes')
        .addColumn('list_id', id, (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('list_attributes_pk', ['list_id', 'name'])
        .execute();
      await withId(dialect, db.schema.createTable('segments'))
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('list_id', id, (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('filter', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await db.schema.alterTable('campaigns').addColumn('segment_id', id).execute();
      await db.schema.alterTable('campaigns').addColumn('audience_filter', 'text').execute();
      await db.schema.alterTable('campaigns').addColumn('exclude_lists', 'text').execute();
    },
  };
}
