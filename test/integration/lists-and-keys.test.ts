import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { servicesFor, type TestServices } from '../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`lists and API keys on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect);
    });
    after(() => t.cleanup());

    it('creates a list with consent text version 1 and versions later changes', async () => {
      const s = t.services;
      const list = await s.lists.create({
        slug: 'news',
        name: 'Shop News',
        from: '"Shop News" <News@Shop.test>',
        allowedOrigins: 'https://shop.test, http://localhost:3000',
      });
      assert.equal(list.fromAddress, 'News@shop.test');
      assert.equal(list.fromName, 'Shop News');
      assert.deepEqual(list.allowedOrigins, ['https://shop.test', 'http://localhost:3000']);
      assert.equal(list.consentText.version, 1);
      assert.match(list.consentText.text, /Shop News/);
      const updated = await s.lists.update('news', { consentText: 'A different and longer wording.' });
      assert.equal(updated.consentText.version, 2);
      const same = await s.lists.update('news', { consentText: 'A different and longer wording.' });
      assert.equal(same.consentText.version, 2, 'the same text is not a new version');
      const all = await s.lists.list();
      assert.deepEqual(
        all.map((l) => l.slug),
        ['news'],
      );
    });

    it('refuses duplicates and bad fields with sentences', async () => {
      const s = t.services;
      await assert.rejects(s.lists.create({ slug: 'news', name: 'x', from: 'a@shop.test' }), {
        code: 'conflict',
        message: /already exists/,
      });
      await assert.rejects(s.lists.create({ slug: 'Bad Slug', name: 'x', from: 'a@shop.test' }), {
        code: 'invalid_input',
        message: /slug/,
      });
      await assert.rejects(s.lists.create({ slug: 'ok', name: 'x', from: 'a@shop.test\r\nBcc: victim@x.test' }), {
        code: 'invalid_input',
      });
      await assert.rejects(
        s.lists.create({ slug: 'ok', name: 'x', from: 'a@shop.test', allowedOrigins: 'https://shop.test/path' }),
        { code: 'invalid_input', message: /origin/ },
      );
      await assert.rejects(s.lists.create({ slug: 'ok', name: 'x', from: 'a@shop.test', consentText: 'short' }), {
        code: 'invalid_input',
        message: /consent text/,
      });
      await assert.rejects(s.lists.show('nope'), { code: 'not_found' });
    });

    it('stores API keys only as hashes, authenticates and revokes them', async () => {
      const s = t.services;
      const { key } = await s.apiKeys.create('shop backend');
      assert.match(key, /^lw_[A-Za-z0-9_-]{32}$/);
      const stored = await s.database.db.selectFrom('api_keys').selectAll().execute();
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(key), 'the key itself is not stored');
      assert.deepEqual((await s.apiKeys.authenticate(key))?.name, 'shop backend');
      // One character changed (a random key ends in 'x' one time in 64: then change it to 'y').
      assert.equal(await s.apiKeys.authenticate(key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x')), undefined);
      await assert.rejects(s.apiKeys.create('shop backend'), { code: 'conflict' });
      await s.apiKeys.revoke('shop backend');
      assert.equal(await s.apiKeys.authenticate(key), undefined);
      await assert.rejects(s.apiKeys.revoke('shop backend'), { code: 'not_found' });
    });
  });
}
