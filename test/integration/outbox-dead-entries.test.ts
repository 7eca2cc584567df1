import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import type { Database, Db } from '../../src/db/database.js';
import { CompiledQuery, sql } from '../../src/db/kysely-runtime.js';
import { CountChanges } from '../../src/mail/count-changes.js';
import { claimDue, type ClaimCursor } from '../../src/mail/outbox-claim.repo.js';
import { release, settle, settleSent } from '../../src/mail/outbox.repo.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';

// On PostgreSQL a row that leaves a status keeps its old entry in outbox_due (status,
// next_attempt_at) until VACUUM. Every message passes `queued` → `sending` → `sent`, so during a
// large campaign the front of the `queued` range and the whole `sending` range are mostly dead
// entries, while the statistics (taken when the campaign was queued) say nothing is `sending`.
// The worker's statements must not walk those entries, or their cost grows with the campaign.
// Checked by the plans and by the index pages a claim reads, not by time.

const postgres = DIALECTS.find((d) => d.name === 'postgres');
if (!postgres) throw new Error('no postgres case');

// Queued as the fan-out queues a campaign: batches of 1,000 rows with one due time each.
const ROWS = 150_000;
const MOVED_ON = 100_000;
const FAN_OUT_BATCH = 1000;
const NOW = 100_000_000;

/** The SQL and parameters `run` sends, captured by a plugin while it runs (then rolled back). */
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
  await database
    .transaction(async (trx) => {
      await run(trx.withPlugin(plugin));
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return seen;
}

class Rollback extends Error {}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** The plan PostgreSQL runs `query` with; with `analyze`, run in a transaction that is rolled back. */
async function planOf(
  database: Database,
  query: { sql: string; parameters: readonly unknown[] },
  analyze = false,
): Promise<PlanNode> {
  let plan: PlanNode | undefined;
  await database
    .transaction(async (trx) => {
      const options = analyze ? 'analyze, buffers, format json' : 'format json';
      const result = await trx.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        CompiledQuery.raw(`explain (${options}) ${query.sql}`, [...query.parameters]),
      );
      plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan;
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  if (!plan) throw new Error('no plan');
  return plan;
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const indexesOf = (plan: PlanNode) => nodes(plan).flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []));

/** Pages (of the index and of the rows it points to) the scans of outbox_due in this plan read. */
function dueIndexPages(plan: PlanNode): number {
  return nodes(plan)
    .filter((n) => n['Index Name'] === 'outbox_due')
    .reduce((sum, n) => sum + (n['Shared Hit Blocks'] ?? 0) + (n['Shared Read Blocks'] ?? 0), 0);
}

describe(
  'outbox statements on postgres stay off the dead index entries of mail that moved on',
  { skip: postgres.skip },
  () => {
    let t: Awaited<ReturnType<typeof migratedDatabase>>;
    const cursor: ClaimCursor = {};
    before(async () => {
      t = await migratedDatabase(postgres);
      const db = t.database.db;
      // No VACUUM during the test: the dead entries stay, as they do between autovacuum runs.
      await sql`alter table outbox set (autovacuum_enabled = false)`.execute(db);
      await sql`insert into outbox (kind, campaign_id, message_id, status, attempts, next_attempt_at, created_at, updated_at)
      select 'campaign', 1, '<' || g || '@dead.test>', 'queued', 0, g / ${FAN_OUT_BATCH}, 0, 0
      from generate_series(0, ${ROWS - 1}::bigint) g`.execute(db);
      await sql`analyze outbox`.execute(db);
      // Half the campaign goes out, as a worker sends it: claimed, then marked sent.
      for (let sent = 0; sent < MOVED_ON;) {
        const rows = await claimDue(t.database, {
          workerId: 'W',
          now: NOW,
          leaseMs: 60_000,
          limit: 1000,
          all: false,
          cursor,
        });
        if (rows.length === 0) throw new Error(`nothing left to claim after ${sent}`);
        await t.database.transaction((trx) =>
          settleSent(
            trx,
            'postgres',
            rows.map((row) => ({ row, response: '250 ok', at: NOW })),
            'W',
            new CountChanges(),
          ),
        );
        sent += rows.length;
      }
    });
    after(() => t.cleanup());

    it('claims queued mail from the cursor, reading a few index pages instead of every dead entry', async () => {
      // The claim of queued campaign mail (the claim of mail outside campaigns comes first).
      const claim = async (withCursor: boolean) => {
        const statements = await capture(t.database, (db) =>
          claimDue(
            { ...t.database, db, transaction: t.database.transaction.bind(t.database) },
            {
              workerId: 'W',
              now: NOW,
              leaseMs: 60_000,
              limit: 100,
              all: false,
              ...(withCursor ? { cursor: { ...cursor } } : {}),
            },
          ),
        );
        const statement = statements.find((q) => q.sql.startsWith('update') && q.sql.includes('is not null'));
        if (!statement) throw new Error(`no claim of campaign mail among ${JSON.stringify(statements)}`);
        return statement;
      };
      const withCursor = dueIndexPages(await planOf(t.database, await claim(true), true));
      const withoutCursor = dueIndexPages(await planOf(t.database, await claim(false), true));
      assert.ok(withCursor > 0, 'the claim reads outbox_due');
      // From the cursor a claim walks at most the dead entries of one fan-out batch (the due time
      // it starts at) and the rows they point to, until a scan marks them dead: a bound that does
      // not grow with the campaign. From the front it walks all of them.
      assert.ok(withCursor <= 40, `a claim from the cursor read ${withCursor} pages of outbox_due`);
      assert.ok(withoutCursor > 2 * withCursor, `from the front: ${withoutCursor} pages (${MOVED_ON} dead entries)`);
    });

    it('settles, fails and puts back claimed mail by its id, whatever the statistics say about `sending`', async () => {
      const claimed = await claimDue(t.database, {
        workerId: 'W',
        now: NOW,
        leaseMs: 60_000,
        limit: 3,
        all: false,
        cursor,
      });
      assert.equal(claimed.length, 3);
      const [a, b, c] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];
      const statements = [
        ...(await capture(t.database, (db) =>
          settleSent(db, 'postgres', [{ row: a, response: '250 ok', at: NOW }], 'W', new CountChanges()),
        )),
        ...(await capture(t.database, (db) =>
          settle(db, b, 'W', { status: 'failed', error: '550 no such user' }, NOW, new CountChanges()),
        )),
        ...(await capture(t.database, (db) => release(db, [c.id], 'W', NOW))),
      ].filter((q) => /^update "?outbox"?/i.test(q.sql.trim()));
      assert.equal(statements.length, 3);
      for (const statement of statements) {
        const plan = await planOf(t.database, statement);
        assert.ok(indexesOf(plan).includes('outbox_pkey'), `${statement.sql}\n${JSON.stringify(indexesOf(plan))}`);
        assert.ok(!indexesOf(plan).includes('outbox_due'), `${statement.sql}\n${JSON.stringify(indexesOf(plan))}`);
      }
      // And they still do their job.
      assert.deepEqual(
        [
          ...(await t.database.transaction((trx) =>
            settleSent(trx, 'postgres', [{ row: a, response: '250 ok', at: NOW }], 'W', new CountChanges()),
          )),
        ],
        [a.id],
      );
      assert.equal(
        await settle(t.database.db, b, 'W', { status: 'failed', error: '550' }, NOW, new CountChanges()),
        true,
      );
      await release(t.database.db, [c.id], 'W', NOW);
      const statuses = await t.database.db
        .selectFrom('outbox')
        .select(['id', 'status'])
        .where('id', 'in', [a.id, b.id, c.id])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        statuses.map((r) => r.status),
        ['sent', 'failed', 'queued'],
      );
    });
  },
);
