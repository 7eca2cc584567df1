import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { confirmedRecipients } from '../../src/campaigns/campaigns.repo.js';
import { subscriptionStatuses } from '../../src/consent/consent.repo.js';
import { automationMailCounts } from '../../src/mail/automation-outbox.repo.js';
import type { Database, Db } from '../../src/db/database.js';
import { CompiledQuery, sql } from '../../src/db/kysely-runtime.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';

// The queries a campaign runs per batch must cost the same at a thousand members and at ten
// million: each must be an index seek or an index range, never a read of the whole list. SQLite
// plans without statistics, so its plans are checked here (PostgreSQL plans from statistics).

/** The SQL and parameters `run` sends, captured by a plugin while it runs. */
async function capture(database: Database, run: (db: Db) => Promise<unknown>) {
  const seen: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      const compiled = database.db.getExecutor().compileQuery(args.node, args.queryId);
      seen.push({ sql: compiled.sql, parameters: compiled.parameters });
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
  await run(database.db.withPlugin(plugin));
  return seen;
}

async function planOf(database: Database, query: { sql: string; parameters: readonly unknown[] }): Promise<string> {
  const result = await database.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  );
  return result.rows.map((r) => r.detail).join(' | ');
}

const sqlite = DIALECTS.find((d) => d.name === 'sqlite');
if (!sqlite) throw new Error('no sqlite case');

describe('the per-batch queries of a campaign on sqlite read what they need, not the whole list', () => {
  let t: Awaited<ReturnType<typeof migratedDatabase>>;
  before(async () => {
    t = await migratedDatabase(sqlite);
    const db = t.database.db;
    await sql`insert into lists (slug, name, from_address, created_at, updated_at) values ('news', 'News', 'n@shop.test', 0, 0)`.execute(
      db,
    );
    // Two thousand members: enough for the planner's choice to matter, quick to make.
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)
      insert into subscribers (email, email_key, attributes, created_at, updated_at)
      select 'p' || i || '@example.test', 'p' || i || '@example.test', '{}', 0, 0 from n`.execute(db);
    await sql`insert into subscriptions (subscriber_id, list_id, status, created_at, updated_at)
      select id, 1, 'confirmed', 0, 0 from subscribers`.execute(db);
  });
  after(() => t.cleanup());

  it('finds the statuses of a batch by the primary key (one seek per member)', async () => {
    const queries = await capture(t.database, (db) => subscriptionStatuses(db, 1, [5, 6, 7, 1500]));
    assert.equal(queries.length, 1);
    const plan = await planOf(t.database, queries[0] as (typeof queries)[number]);
    assert.doesNotMatch(plan, /subscriptions_list_status/, plan);
    assert.match(plan, /SEARCH subscriptions USING .*(PRIMARY KEY|autoindex|subscriptions_pk).*subscriber_id=\?/, plan);
    assert.deepEqual(
      [...(await subscriptionStatuses(t.database.db, 1, [5, 6, 7, 1500]))],
      [5, 6, 7, 1500].map((id) => [id, 'confirmed']),
    );
  });

  it('fans out along the (list, status, subscriber) index, in order, from the position', async () => {
    const queries = await capture(t.database, (db) => confirmedRecipients(db, 1, 1000, 100));
    const plan = await planOf(t.database, queries[0] as (typeof queries)[number]);
    assert.match(plan, /subscriptions_list_status \(list_id=\? AND status=\? AND subscriber_id>\?\)/, plan);
    assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
  });

  it("counts an automation's mail by status from the (automation, status) index, without joining its runs", async () => {
    const queries = await capture(t.database, (db) => automationMailCounts(db, 1));
    assert.equal(queries.length, 1);
    const plan = await planOf(t.database, queries[0] as (typeof queries)[number]);
    assert.match(plan, /USING COVERING INDEX outbox_automation_status/, plan);
    assert.doesNotMatch(plan, /automation_runs/, plan);
  });
});
