import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Issue 15: a list's language (and whether the browser's language may choose among the languages
 * it has a consent text in), its brand overrides (JSON; the shop-wide brand is in settings), the
 * language of each consent text version, and the brand's uploaded images, stored in the database
 * so every process and machine serves the same logo. Consent text version numbers stay unique per
 * list across languages, so a version number names exactly one wording.
 */
export function brandAndLanguages(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('lists')
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
        .execute();
      await db.schema
        .alterTable('lists')
        .addColumn('browser_language', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('lists')
        .addColumn('brand', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema
        .alterTable('consent_texts')
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
        .execute();
      await db.schema
        .createIndex('consent_texts_list_language')
        .on('consent_texts')
        .columns(['list_id', 'language', 'version'])
        .execute();
      // Campaigns made before have no layout; new ones get ours unless their HTML is a whole document.
      await db.schema
        .alterTable('campaigns')
        .addColumn('layout', 'text', (c) => c.notNull().defaultTo('none'))
        .execute();
      await db.schema
        .createTable('brand_assets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('bytes', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
