import { sql, type Kysely, type Migration } from 'kysely';

/** The console finds people by the start of their name, in any case: an index on the lower-cased name. */
export function subscriberNames(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('subscribers_name_lower')
        .on('subscribers')
        .expression(sql`lower(name)`)
        .execute();
    },
  };
}
