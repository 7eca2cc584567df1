import type { Kysely, Migration } from 'kysely';

/**
 * A report acts only when it is tied to a message we sent; every other report is kept as
 * unverified (`verified` 0) with the reason in `why`, and changes nothing. Each event keeps the
 * bounce reason of the taxonomy.
 */
export function feedbackTrust(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('feedback_events')
        .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('feedback_events').addColumn('why', 'text').execute();
      // The reason from the bounce taxonomy (feedback/reasons.ts): sender-side reasons never count against the address.
      await db.schema.alterTable('feedback_events').addColumn('reason', 'text').execute();
    },
  };
}
