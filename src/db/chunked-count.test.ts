import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type BetterSqlite3 from 'better-sqlite3';
import { createChunkedCounter } from './chunked-count.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

describe('counting in chunks on reader threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-chunked-'));
  const file = join(dir, 'count.db');
  const writer = new Sqlite(file);
  const counter = createChunkedCounter(file, 2);
  const byRemainder = {
    sql: 'select count(*) from t where v % 3 = ? and id >= @lo and id < @hi',
    parameters: [1],
  };

  before(() => {
    writer.pragma('journal_mode = WAL');
    writer.exec('create table t (id integer primary key, v integer not null)');
    const insert = writer.prepare('insert into t (id, v) values (?, ?)');
    writer.transaction(() => {
      for (let id = 1; id <= 10_000; id++) insert.run(id, id * 7);
    })();
  });
  after(async () => {
    await counter.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const direct = () => Number(writer.prepare('select count(*) from t where v % 3 = 1').pluck().get());

  it('sums the chunks to the count on one connection, including both ends', async () => {
    assert.equal(await counter.count(byRemainder, 1, 10_000), direct());
    // Ends that do not divide evenly, and a range of one id.
    assert.equal(
      await counter.count({ sql: 'select count(*) from t where id >= @lo and id < @hi', parameters: [] }, 3, 9_998),
      9_996,
    );
    assert.equal(
      await counter.count(
        { sql: 'select count(*) from t where id >= @lo and id < @hi', parameters: [] },
        10_000,
        10_000,
      ),
      1,
    );
  });

  it('answers a failing query with its reason, and counts again afterwards', async () => {
    await assert.rejects(
      counter.count({ sql: 'select count(*) from missing where id >= @lo and id < @hi', parameters: [] }, 1, 100),
      /A counting thread failed: no such table: missing/,
    );
    assert.equal(await counter.count(byRemainder, 1, 10_000), direct());
  });

  it('cannot write: its connections are read-only', async () => {
    await assert.rejects(
      counter.count({ sql: 'delete from t where id >= @lo and id < @hi returning 1', parameters: [] }, 1, 10_000),
      /readonly/,
    );
    assert.equal(Number(writer.prepare('select count(*) from t').pluck().get()), 10_000);
  });

  it('counts beside a writer without an error, and sees what was committed before it began', async () => {
    const insert = writer.prepare('insert into t (v) values (?)');
    for (let round = 0; round < 10; round++) {
      const counting = counter.count(byRemainder, 1, 1_000_000);
      writer.transaction(() => {
        for (let i = 0; i < 100; i++) insert.run(1);
      })();
      const n = await counting;
      assert.ok(n >= direct() - 100 && n <= direct(), `${n} within the last 100 writes of ${direct()}`);
    }
    assert.equal(await counter.count(byRemainder, 1, 1_000_000), direct());
  });

  it('counts at once after its threads were told to stop (an idle stop meeting a new count)', async () => {
    for (let round = 0; round < 5; round++) {
      void counter.close();
      assert.equal(await counter.count(byRemainder, 1, 1_000_000), direct());
    }
  });

  it('starts new threads after being closed', async () => {
    await counter.close();
    assert.equal(await counter.count(byRemainder, 1, 1_000_000), direct());
  });
});
