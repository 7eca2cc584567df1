import type { Kysely, Migration } from 'kysely';

/**
 * The console pages feedback newest first, filtered by kind, by verified or both, with a keyset
 * on the id: each of the three filters reads one ordered index range, never a scan or a sort.
 */
export function feedbackKeyset(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('feedback_events_kind_verified_id')
        .on('feedback_events')
        .columns(['kind', 'verified', 'id'])
        .execute();
      await db.schema.createIndex('feedback_events_kind_id').on('feedback_events').columns(['kind', 'id']).execute();
      await db.schema
        .createIndex('feedback_events_verified_id')
        .on('feedback_events')
        .columns(['verified', 'id'])
        .execute();
    },
  };
}
