import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { suppress } from '../../src/consent/consent.repo.js';
import { suppressionHash } from '../../src/consent/suppression-key.js';
import { DIALECTS } from '../helpers/databases.js';
import { confirmedSignups, servicesFor, type TestServices } from '../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`data links from the preference centre on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect);
      const list = await t.services.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await confirmedSignups(t.services, { slug: 'news', id: list.id }, [
        { email: 'keen@example.test' },
        { email: 'angry@example.test' },
      ]);
    });
    after(() => t.cleanup());

    const preferences = async (email: string) =>
      t.services.tokens.sign('preferences', (await t.services.subscribers.show(email)).id, 0);
    const dataLinks = () =>
      t.services.database.db.selectFrom('outbox').select('subscriber_id').where('kind', '=', 'data_link').execute();

    it('mails one link per 10 minutes to the address, and none after a complaint', async () => {
      const s = t.services;
      assert.equal((await s.unsubscribe.requestDataLink(await preferences('keen@example.test'))).sent, true);
      assert.equal((await s.unsubscribe.requestDataLink(await preferences('keen@example.test'))).sent, false);
      await suppress(s.database.db, suppressionHash('angry@example.test'), 'complaint', Date.now());
      assert.equal((await s.unsubscribe.requestDataLink(await preferences('angry@example.test'))).sent, false);
      assert.equal((await dataLinks()).length, 1);
    });

    it('a data link opens the data for an hour; a preferences token does not', async () => {
      const s = t.services;
      const id = (await s.subscribers.show('keen@example.test')).id;
      const exported = await s.unsubscribe.exportData(s.tokens.sign('data', id, 0));
      assert.equal((exported as { subscriber: { email: string } }).subscriber.email, 'keen@example.test');
      await assert.rejects(s.unsubscribe.exportData(await preferences('keen@example.test')), { code: 'not_found' });
      await assert.rejects(s.unsubscribe.exportData(s.tokens.sign('data', id, 0, Date.now() - 61 * 60_000)), {
        code: 'gone',
      });
    });
  });
}
