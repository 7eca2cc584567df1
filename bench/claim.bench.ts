// npm run bench:claim — batch claims per second with concurrent claimers on a PostgreSQL outbox of
// 10,000,000 campaign rows (issue 17: the headroom for many sending machines). Each claimer has
// its own connection and does what a worker does with a batch, minus the SMTP: claimDue (FOR UPDATE
// SKIP LOCKED), then the batch's sent marks in one transaction with the campaign's counts. Prints
// one JSON line; the reference in the same run is a bare `select 1` round trip per claimer.
// Claims are made as the worker makes them: queued mail from where its last claim ended, and once a
// second every step from the start.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { addCounts } from '../src/mail/campaign-counts.repo.js';
import { CountChanges, shardOf } from '../src/mail/count-changes.js';
import { claimDue, type ClaimCursor } from '../src/mail/outbox-claim.repo.js';
import { settleSent } from '../src/mail/outbox.repo.js';
import { sql } from '../src/db/kysely-runtime.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    claimers: { type: 'string', default: '8' },
    batch: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const rows = Number(values.rows);
const claimers = Number(values.claimers);
const batch = Number(values.batch);
const seconds = Number(values.seconds);
const name = `lw_bench_claim_${process.pid}`;
const admin = new pg.Client({ connectionString: values.postgres });
await admin.connect();
await admin.query(`create database ${name}`);
const url = new URL(values.postgres);
url.pathname = `/${name}`;

const opened: Database[] = [];
try {
  const setup = openDatabase(url.toString(), { poolSize: 1 });
  opened.push(setup);
  await migrateToLatest(setup);
  const fillStarted = Date.now();
  await sql`insert into lists (slug, name, from_address, created_at, updated_at)
    values ('bench', 'Bench', 'bench@shop.test', 0, 0)`.execute(setup.db);
  await sql`insert into campaigns (list_id, subject, html, format, status, created_at, updated_at)
    select id, 'bench', '', 'html', 'running', 0, 0 from lists`.execute(setup.db);
  // Ten million queued campaign rows, due in order, in chunks of a million (one statement each).
  for (let from = 0; from < rows; from += 1_000_000) {
    const to = Math.min(rows, from + 1_000_000) - 1;
    await sql`insert into outbox (kind, campaign_id, message_id, status, attempts, next_attempt_at, created_at, updated_at)
      select 'campaign', (select min(id) from campaigns), '<' || g || '@bench.test>', 'queued', 0, g, 0, 0
      from generate_series(${from}::bigint, ${to}::bigint) g`.execute(setup.db);
  }
  await sql`insert into campaign_counts (campaign_id, status, shard, n)
    values ((select min(id) from campaigns), 'queued', 0, ${rows})`.execute(setup.db);
  await sql`vacuum analyze outbox`.execute(setup.db);
  // The fill wrote gigabytes of WAL; without a checkpoint now, the one it triggers would fall into
  // the measurement (every page touched first after it written whole), which is the fill's cost.
  await sql`checkpoint`.execute(setup.db);
  const fillSeconds = (Date.now() - fillStarted) / 1000;

  if (process.env.BENCH_EXPLAIN) {
    const plan = await sql<{ 'QUERY PLAN': string }>`explain update outbox set status = 'sending', lease_until = 1,
      leased_by = 'x', attempts = attempts + 1, updated_at = 1 where ctid = any(array(select ctid from outbox
      where status = 'queued' and next_attempt_at <= 20000000 and campaign_id is not null
      order by next_attempt_at limit 100 for update skip locked)) returning *`.execute(setup.db);
    console.error(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
  const handles = Array.from({ length: claimers }, () => {
    const database = openDatabase(url.toString(), { poolSize: 1 });
    opened.push(database);
    return database;
  });
  // Reference: round trips per second over the same connections, in the same run.
  const reference = await forEach(handles, 3, async (database) => {
    await sql`select 1`.execute(database.db);
    return 1;
  });
  // As the worker claims: queued mail only, and expired leases and retries too once a second.
  const lookedEverywhere = handles.map(() => 0);
  const cursors = handles.map((): ClaimCursor => ({}));
  const measured = await forEach(handles, seconds, async (database, i) => {
    const workerId = `bench-${i}`;
    const now = 20_000_000;
    const all = Date.now() - (lookedEverywhere[i] ?? 0) >= 1000;
    if (all) lookedEverywhere[i] = Date.now();
    const claimed = await claimDue(database, {
      workerId,
      now,
      leaseMs: 120_000,
      limit: batch,
      all,
      cursor: cursors[i] as ClaimCursor,
    });
    await database.transaction(async (trx) => {
      const changes = new CountChanges();
      await settleSent(
        trx,
        database.dialect,
        claimed.map((row) => ({ row, response: '250 2.0.0 Ok: queued', at: now })),
        workerId,
        changes,
      );
      await addCounts(trx, changes, shardOf(workerId));
    });
    return claimed.length;
  });
  console.log(
    JSON.stringify({
      bench: 'claim',
      dialect: 'postgres',
      outboxRows: rows,
      fillSeconds: Math.round(fillSeconds),
      claimers,
      batch,
      seconds,
      claimsPerSecond: Math.round(measured.calls / measured.seconds),
      // Claims a second over the first and the last quarter: flat when nothing grows with the run.
      claimsPerSecondByQuarter: { first: measured.firstQuarter, last: measured.lastQuarter },
      rowsPerSecond: Math.round(measured.items / measured.seconds),
      referenceRoundTripsPerSecond: Math.round(reference.calls / reference.seconds),
      target: { claimsPerSecond: 200 },
    }),
  );
} finally {
  await Promise.allSettled(opened.map((d) => d.close()));
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

/** Runs `step` on every handle in a loop for `forSeconds`; calls made and items they returned. */
async function forEach(
  handles: readonly Database[],
  forSeconds: number,
  step: (database: Database, index: number) => Promise<number>,
): Promise<{ calls: number; items: number; seconds: number; firstQuarter: number; lastQuarter: number }> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + forSeconds * 1000;
  let calls = 0;
  let items = 0;
  // When each call ended (s since the start): the rate over the first and the last quarter.
  const ends: number[] = [];
  await Promise.all(
    handles.map(async (database, i) => {
      while (Date.now() < deadline) {
        const n = await step(database, i);
        items += n;
        calls++;
        ends.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }),
  );
  const quarter = forSeconds / 4;
  const rate = (from: number, to: number) => Math.round(ends.filter((t) => t >= from && t < to).length / quarter);
  return {
    calls,
    items,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    firstQuarter: rate(0, quarter),
    lastQuarter: rate(3 * quarter, forSeconds),
  };
}
