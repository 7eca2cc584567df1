import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';

for (const dialect of DIALECTS) {
  describe(`concurrent transactions on ${dialect.name}`, { skip: dialect.skip }, () => {
    let ctx: Awaited<ReturnType<typeof migratedDatabase>>;
    before(async () => {
      ctx = await migratedDatabase(dialect);
    });
    after(() => ctx.cleanup());

    it('commits every unit that succeeds and rolls back only the one that fails', async () => {
      const { database } = ctx;
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          database.transaction(async (trx) => {
            await trx
              .insertInto('settings')
              .values({ key: `k${i}`, value: String(i) })
              .execute();
            if (i % 10 === 3) {
              await trx
                .insertInto('settings')
                .values({ key: `k${i}-extra`, value: 'x' })
                .execute();
              throw new Error(`unit ${i} fails`);
            }
            return i;
          }),
        ),
      );
      const failed = results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason.message));
      assert.deepEqual(failed, ['unit 3 fails', 'unit 13 fails', 'unit 23 fails', 'unit 33 fails', 'unit 43 fails']);
      const rows = await database.db.selectFrom('settings').select('key').execute();
      const keys = new Set(rows.map((r) => r.key));
      assert.equal(keys.size, 45);
      for (let i = 0; i < 50; i++) assert.equal(keys.has(`k${i}`), i % 10 !== 3, `k${i}`);
      assert.ok(![...keys].some((k) => k.endsWith('-extra')), 'a failing unit leaves nothing behind');
      const values = results
        .filter((r) => r.status === 'fulfilled')
        .map((r) => (r as PromiseFulfilledResult<number>).value);
      assert.equal(values.length, 45);
    });

    it('a unit that breaks a constraint does not take the others down', async () => {
      const { database } = ctx;
      const [a, b, c] = await Promise.allSettled([
        database.transaction((trx) => trx.insertInto('settings').values({ key: 'dup', value: '1' }).execute()),
        database.transaction((trx) => trx.insertInto('settings').values({ key: 'dup', value: '2' }).execute()),
        database.transaction((trx) => trx.insertInto('settings').values({ key: 'other', value: '3' }).execute()),
      ]);
      // The two 'dup' units race on separate connections (PostgreSQL): either may win, exactly one does.
      assert.deepEqual([a.status, b.status].sort(), ['fulfilled', 'rejected']);
      assert.equal(c.status, 'fulfilled');
      const winner = a.status === 'fulfilled' ? '1' : '2';
      const dup = await database.db.selectFrom('settings').select('value').where('key', '=', 'dup').execute();
      assert.deepEqual(dup, [{ value: winner }]);
      const other = await database.db.selectFrom('settings').select('value').where('key', '=', 'other').execute();
      assert.deepEqual(other, [{ value: '3' }]);
    });
  });
}
