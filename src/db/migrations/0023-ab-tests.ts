import type { Kysely, Migration } from 'kysely';

/**
 * Issue 18, A/B subject tests: `campaigns.ab` (JSON) holds the second subject, the sample's share
 * and the wait, then the decision (the winner and the counts it was chosen by). An outbox row's
 * `payload` names the variant a campaign message was sent with (`{"variant":"b"}`).
 * `engagement_outbox`: the opens and clicks of one message, so a reloaded pixel or link is
 * recorded once in ten minutes instead of once per request.
 */
export function abTests(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('campaigns').addColumn('ab', 'text').execute();
      await db.schema.createIndex('engagement_outbox').on('engagement').columns(['outbox_id', 'kind', 'at']).execute();
    },
  };
}
