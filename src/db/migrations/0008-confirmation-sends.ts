import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Confirmation mails sent to outside signups, for the limits that span lists and addresses: per
 * mailbox (a SHA-256 of the mailbox, `+tag` and Gmail dots folded, so no address is kept) and per
 * recipient domain. Rows older than two days are pruned.
 */
export function confirmationSends(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('confirmation_sends')
        .addColumn('mailbox_hash', 'text', (c) => c.notNull())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('confirmation_sends_mailbox')
        .on('confirmation_sends')
        .columns(['mailbox_hash', 'at'])
        .execute();
      await db.schema
        .createIndex('confirmation_sends_domain')
        .on('confirmation_sends')
        .columns(['domain', 'at'])
        .execute();
    },
  };
}
