import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import { purgeStalePending } from '../../src/consent/housekeeping.js';
import type { Database } from '../../src/db/database.js';
import { DIALECTS } from '../helpers/databases.js';
import { FORM, servicesFor, type TestServices } from '../helpers/services.js';

/** Every text cell of every table, to prove an address and its evidence are gone. */
async function everyTextCell(database: Database): Promise<string> {
  const tables = [
    'lists',
    'consent_texts',
    'subscribers',
    'subscriptions',
    'consent_events',
    'suppressions',
    'outbox',
    'api_keys',
    'settings',
  ];
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(database.db);
    parts.push(JSON.stringify(rows.rows));
  }
  return parts.join('\n');
}

for (const dialect of DIALECTS) {
  describe(`erasure and purge on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect);
      await t.services.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await t.services.lists.create({ slug: 'deals', name: 'Deals', from: 'deals@shop.test' });
    });
    after(() => t.cleanup());

    it('erase leaves only the SHA-256 suppression entry and keeps the person unmailed', async () => {
      const s = t.services;
      await s.signup(
        { list: 'news', email: 'Erin@Example.test', name: 'Erin Example', attributes: { city: 'Zwolle' } },
        { ...FORM, ip: '198.51.100.77' },
      );
      await s.worker.drain();
      const list = await s.lists.requireList('news');
      const erin = await s.subscribers.show('erin@example.test');
      await s.confirm.confirm(s.tokens.sign('confirm', erin.id, list.id), { ...FORM, ip: '198.51.100.78' });
      await s.signup({ list: 'deals', email: 'erin@example.test' }, FORM);

      const result = await s.subscribers.erase('ERIN@example.test', {
        ip: null,
        userAgent: null,
        source: 'cli',
        channel: 'cli',
      });
      assert.equal(result.erased, true);
      const hash = createHash('sha256').update('erin@example.test').digest('hex');
      assert.equal(result.suppressionHash, hash);

      const everything = await everyTextCell(s.database);
      for (const personal of [/erin/i, /Zwolle/, /198\.51\.100\.7[78]/, /Example\.test/]) {
        assert.doesNotMatch(everything, personal, `${personal} survived erasure`);
      }
      assert.match(everything, new RegExp(hash));
      const queued = await s.database.db
        .selectFrom('outbox')
        .select('status')
        .where('status', 'in', ['queued', 'deferred'])
        .execute();
      assert.equal(queued.length, 0, 'the unsent confirmation for deals was cancelled');
      const events = await s.database.db.selectFrom('consent_events').selectAll().execute();
      assert.ok(events.some((e) => e.type === 'erased'));
      assert.ok(events.every((e) => e.subscriber_id === null && e.ip === null && e.user_agent === null));

      // Signing up again is answered normally but no mail goes to a suppressed address.
      const again = await s.signup({ list: 'news', email: 'erin@example.test' }, FORM);
      assert.equal(again.confirmationMail, 'suppressed');
      assert.equal(await s.worker.drain(), 0);
    });

    it('erasing an unknown address still records the suppression', async () => {
      const result = await t.services.subscribers.erase('stranger@example.test', {
        ip: null,
        userAgent: null,
        source: 'cli',
        channel: 'cli',
      });
      assert.equal(result.erased, false);
      const row = await t.services.database.db
        .selectFrom('suppressions')
        .selectAll()
        .where('email_hash', '=', result.suppressionHash)
        .executeTakeFirst();
      assert.equal(row?.reason, 'erased');
    });

    it('purges subscriptions pending for longer than the limit, leaving no personal data', async () => {
      const s = t.services;
      await s.signup(
        { list: 'news', email: 'stale@example.test', name: 'Stale Person' },
        { ...FORM, ip: '192.0.2.201' },
      );
      await s.signup({ list: 'news', email: 'mixed@example.test' }, { ...FORM, ip: '192.0.2.202' });
      await s.signup({ list: 'deals', email: 'mixed@example.test' }, { ...FORM, ip: '192.0.2.203' });
      await s.signup({ list: 'news', email: 'fresh@example.test' }, FORM);
      const list = await s.lists.requireList('deals');
      const mixed = await s.subscribers.show('mixed@example.test');
      await s.confirm.confirm(s.tokens.sign('confirm', mixed.id, list.id), FORM);
      const day = 86_400_000;
      const old = Date.now() - 31 * day;
      const ids = [(await s.subscribers.show('stale@example.test')).id, mixed.id];
      await s.database.db
        .updateTable('subscriptions')
        .set({ updated_at: old, created_at: old })
        .where('subscriber_id', 'in', ids)
        .where('status', '=', 'pending')
        .execute();

      assert.equal(await purgeStalePending(s.database, 30 * day, Date.now()), 2);
      await assert.rejects(s.subscribers.show('stale@example.test'), { code: 'not_found' });
      const after = await s.subscribers.show('mixed@example.test');
      assert.deepEqual(
        after.subscriptions.map((x) => [x.list, x.status]),
        [['deals', 'confirmed']],
      );
      assert.ok(
        after.events.every((e) => e.list === 'deals'),
        "the purged list's events are no longer linked",
      );
      const everything = await everyTextCell(s.database);
      assert.doesNotMatch(everything, /stale@example|Stale Person|192\.0\.2\.201|192\.0\.2\.202/);
      assert.equal(
        (await s.subscribers.show('fresh@example.test')).subscriptions[0]!.status,
        'pending',
        'recent signups stay',
      );
    });
  });
}
