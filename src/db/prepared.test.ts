import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';
import { param, prepared } from './prepared.js';

describe('prepared queries', () => {
  const database = openDatabase('sqlite::memory:');
  after(() => database.close());

  it('compiles once and binds new parameters on every call, in and out of transactions', async () => {
    await migrateToLatest(database);
    const insert = prepared<{ key: string; value: string }, never>((db) =>
      db.insertInto('settings').values({ key: param('key'), value: param('value') }),
    );
    const read = prepared<{ key: string }, { value: string }>((db) =>
      db.selectFrom('settings').select('value').where('key', '=', param('key')),
    );
    await insert(database.db, { key: 'a', value: '1' });
    await database.transaction((trx) => insert(trx, { key: 'b', value: '2' }).then(() => undefined));
    assert.deepEqual((await read(database.db, { key: 'a' })).rows, [{ value: '1' }]);
    assert.deepEqual((await read(database.db, { key: 'b' })).rows, [{ value: '2' }]);
    await assert.rejects(read(database.db, {} as { key: string }), /missing the parameter "key"/);
  });
});
