import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { suppressionHash } from '../../src/unsubscribe/suppression-key.js';
import { DIALECTS } from '../helpers/databases.js';
import { capturedMails } from '../helpers/listwarden.js';
import { FORM, servicesFor, type TestServices } from '../helpers/services.js';

const HTML = '<p>Hi {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>';

for (const dialect of DIALECTS) {
  describe(`campaign fan-out, pause, resume and cancel on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    let listId = 0;
    before(async () => {
      t = await servicesFor(dialect, { LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam' });
      const s = t.services;
      listId = (await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' })).id;
      for (let i = 0; i < 12; i++) {
        await s.signup({ list: 'news', email: `p${i}@example.test`, name: `P${i}` }, FORM);
        const view = await s.subscribers.show(`p${i}@example.test`);
        await s.confirm.confirm(s.tokens.sign('confirm', view.id, listId), FORM);
      }
      await s.database.db.insertInto('suppressions').values({ email_hash: suppressionHash('p11@example.test'), reason: 'complaint', created_at: Date.now() }).execute();
      await s.worker.drain(); // the confirmation mails
    });
    after(() => t.cleanup());

    async function runningCampaign(): Promise<number> {
      const s = t.services;
      const { id } = await s.campaigns.create({ list: 'news', subject: 'Hello {{ subscriber.name }}', html: HTML });
      // The opt-out self-test needs the HTTP server (see test/e2e/campaigns.test.ts); start the engine directly.
      assert.ok(await moveCampaign(s.database.db, id, ['draft'], 'running', Date.now()));
      return id;
    }

    it('fans out once per confirmed, unsuppressed subscriber, idempotently', async () => {
      const s = t.services;
      const id = await runningCampaign();
      assert.equal(await fanOut(s.database, { id, list_id: listId }, 'shop.test', 5), 11);
      assert.equal(await fanOut(s.database, { id, list_id: listId }, 'shop.test', 5), 0, 'a second run adds nothing');
      assert.equal((await s.campaigns.status(id)).total, 11);
      await s.campaigns.cancel(id);
      const view = await s.campaigns.status(id);
      assert.equal(view.status, 'cancelled');
      assert.equal(view.cancelled, 11);
      assert.equal(await s.worker.drain(), 0, 'nothing of a cancelled campaign goes out');
    });

    it('pause holds unsent mail, resume sends it, and nobody gets it twice', async () => {
      const s = t.services;
      const id = await runningCampaign();
      await fanOut(s.database, { id, list_id: listId }, 'shop.test');
      const paused = await s.campaigns.pause(id);
      assert.equal(paused.status, 'paused');
      assert.equal(paused.held, 11);
      assert.equal(await s.worker.drain(), 0, 'held mail is not claimed');
      await assert.rejects(s.campaigns.pause(id), { code: 'conflict' });
      const resumed = await s.campaigns.resume(id);
      assert.equal(resumed.status, 'running');
      assert.equal(resumed.queued, 11);
      assert.equal(await s.worker.drain(), 11);
      assert.equal(await s.campaigns.finishCompleted(), 1);
      const done = await s.campaigns.status(id);
      assert.equal(done.status, 'finished');
      assert.equal(done.sent, 11);
      const copies = (await capturedMails(t.captureDir)).filter((m) => m.raw.includes(`X-Campaign: ${id}\r\n`));
      assert.equal(copies.length, 11);
      assert.equal(new Set(copies.map((m) => m.to)).size, 11);
      assert.ok(!copies.some((m) => m.to === 'p11@example.test'));
    });

    it('skips at send time whoever left after the fan-out', async () => {
      const s = t.services;
      const id = await runningCampaign();
      await fanOut(s.database, { id, list_id: listId }, 'shop.test');
      const p0 = await s.subscribers.show('p0@example.test');
      await s.unsubscribe.unsubscribe(s.tokens.sign('unsubscribe', p0.id, listId), FORM, 'one-click');
      await s.subscribers.erase('p1@example.test', { ip: null, userAgent: null, source: 'cli', channel: 'cli' });
      await s.worker.drain();
      const view = await s.campaigns.status(id);
      assert.equal(view.sent, 9);
      assert.equal(view.cancelled, 2);
    });
  });
}
