import type { Kysely, Migration } from 'kysely';
import { sql } from '../kysely-runtime.js';

/**
 * Mail that is not part of a campaign (confirmations, owner alerts) is claimed before campaign
 * mail: this index finds it without walking a campaign's backlog.
 */
export function transactionalDue(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('outbox_transactional_due')
        .on('outbox')
        .columns(['status', 'next_attempt_at'])
        .where(sql.ref('campaign_id'), 'is', null)
        .execute();
    },
  };
}
