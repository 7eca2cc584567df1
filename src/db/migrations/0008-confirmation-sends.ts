import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Counters for the confirmation-mail limits that span lists and addresses, one row each, updated
 * in place: per mailbox (a SHA-256 of the mailbox, `+tag` and Gmail dots folded, so no address is
 * kept) a day's window and its count; per recipient domain the hour its next mail goes in and how
 * many that hour already holds. Rows two days old are pruned.
 */
export function confirmationSends(dialect: Dialect): Migration {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('confirmation_mailboxes')
        .addColumn('mailbox_hash', 'text', (c) => c.primaryKey())
        .addColumn('window_start', bigint, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('confirmation_domains')
        .addColumn('domain', 'text', (c) => c.primaryKey())
        .addColumn('hour', bigint, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .execute();
    },
  };
}
