import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { withId } from './column-helpers.js';

/**
 * DKIM keys kept by Listwarden (the private key encrypted under the installation's secret), and
 * the snapshot a campaign is sent from: what its checks approved, frozen at `campaigns send`.
 */
export function dkimKeysAndSnapshots(dialect: Dialect): Migration {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await withId(dialect, db.schema.createTable('dkim_keys'))
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('selector', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('activated_at', time)
        .addColumn('retired_at', time)
        .addUniqueConstraint('dkim_keys_domain_selector', ['domain', 'selector'])
        .execute();
      await db.schema.alterTable('campaigns').addColumn('snapshot', 'text').execute();
    },
  };
}
