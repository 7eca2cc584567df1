import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventsOf, recordEventsBulk } from '../../src/consent/consent.repo.js';
import { sql } from '../../src/db/kysely-runtime.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';

// An import's evidence goes in as one bulk write (COPY on PostgreSQL): whatever the text holds —
// tabs, line breaks, backslashes, quotes, no value at all — it must read back as it was written.
const AWKWARD = ['tab\there', 'line\nbreak\r\nand more', 'back\\slash \\N \\t', `"quoted" 'both'`, 'ünïcödé ✓'];

for (const dialect of DIALECTS) {
  describe(`bulk evidence on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: Awaited<ReturnType<typeof migratedDatabase>>;
    before(async () => {
      t = await migratedDatabase(dialect);
      await sql`insert into lists (slug, name, from_address, created_at, updated_at) values ('news', 'News', 'n@shop.test', 0, 0)`.execute(
        t.database.db,
      );
      await sql`insert into subscribers (email, email_key, attributes, created_at, updated_at) values ('a@example.test', 'a@example.test', '{}', 0, 0)`.execute(
        t.database.db,
      );
    });
    after(() => t.cleanup());

    it('reads back every awkward value exactly, and nulls as nulls', async () => {
      const events = AWKWARD.map((text, i) => ({
        subscriberId: 1,
        at: 1000 + i,
        ip: i % 2 === 0 ? null : '192.0.2.1',
        source: text,
        detail: JSON.stringify({ channel: 'import', note: text }),
      }));
      await t.database.transaction((trx) => recordEventsBulk(trx, t.database.dialect, 'imported', 1, events));
      const back = await eventsOf(t.database.db, 1);
      assert.deepEqual(
        back.map((e) => [e.source, e.ip, e.detail.note, e.list, e.type]),
        AWKWARD.map((text, i) => [text, i % 2 === 0 ? null : '192.0.2.1', text, 'news', 'imported']),
      );
    });

    it('writes nothing for no events, and rolls back with its transaction', async () => {
      await t.database.transaction((trx) => recordEventsBulk(trx, t.database.dialect, 'imported', 1, []));
      await assert.rejects(
        t.database.transaction(async (trx) => {
          await recordEventsBulk(trx, t.database.dialect, 'imported', 1, [
            { subscriberId: 1, at: 5000, ip: null, source: 'rolled back', detail: null },
          ]);
          throw new Error('the batch failed');
        }),
        /the batch failed/,
      );
      assert.ok(!(await eventsOf(t.database.db, 1)).some((e) => e.source === 'rolled back'));
    });
  });
}
