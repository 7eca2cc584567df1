import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { suppressionHash } from '../../src/consent/suppression-key.js';
import { DIALECTS } from '../helpers/databases.js';
import { capturedMails } from '../helpers/listwarden.js';
import { confirmedSignups, FORM, servicesFor, type TestServices } from '../helpers/services.js';

const HTML = '<p>Hi {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>';

for (const dialect of DIALECTS) {
  describe(`campaign fan-out, pause, resume and cancel on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    let listId = 0;
    before(async () => {
      t = await servicesFor(dialect, { LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam' });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await s.dkim.generate({ domain: 'shop.test' });
      listId = list.id;
      await confirmedSignups(
        s,
        list,
        Array.from({ length: 12 }, (_, i) => ({ email: `p${i}@example.test`, name: `P${i}` })),
      );
      await s.database.db
        .insertInto('suppressions')
        .values({ email_hash: suppressionHash('p11@example.test'), reason: 'complaint', created_at: Date.now() })
        .execute();
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

  describe(`pacing on ${dialect.name}`, { skip: dialect.skip }, () => {
    /** A running, fanned-out campaign to `count` confirmed subscribers of one domain. */
    async function fannedOut(env: Record<string, string>, count: number): Promise<{ t: TestServices; id: number }> {
      const t = await servicesFor(dialect, { LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam', ...env });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await s.dkim.generate({ domain: 'shop.test' });
      await confirmedSignups(
        s,
        list,
        Array.from({ length: count }, (_, i) => ({ email: `w${i}@example.test` })),
      );
      await s.worker.drain();
      const { id } = await s.campaigns.create({ list: 'news', subject: 'Hi', html: HTML });
      assert.ok(await moveCampaign(s.database.db, id, ['draft'], 'running', Date.now()));
      await fanOut(s.database, { id, list_id: list.id }, 'shop.test');
      return { t, id };
    }

    it('sends no more bulk mail per day than the warm-up allows and keeps the rest queued for tomorrow', async () => {
      const { t, id } = await fannedOut({ LISTWARDEN_WARMUP: '5,2' }, 12);
      try {
        const s = t.services;
        await s.worker.drain();
        const view = await s.campaigns.status(id);
        assert.equal(view.sent, 5, 'day one of the warm-up: 5 messages');
        assert.equal(view.queued, 7);
        const tomorrow = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000;
        const held = await s.database.db
          .selectFrom('outbox')
          .select(['next_attempt_at', 'last_error', 'attempts'])
          .where('campaign_id', '=', id)
          .where('status', '=', 'queued')
          .execute();
        assert.ok(
          held.every((r) => r.next_attempt_at === tomorrow && /warm-up/.test(r.last_error ?? '') && r.attempts === 0),
        );
      } finally {
        await t.cleanup();
      }
    });

    it('paces one destination at its rate instead of sending everything at once', async () => {
      const { t, id } = await fannedOut({ LISTWARDEN_DESTINATION_RATE: '4' }, 12);
      try {
        const s = t.services;
        const started = Date.now();
        await s.worker.drain();
        const view = await s.campaigns.status(id);
        assert.equal(view.sent, 12);
        const times = (
          await s.database.db.selectFrom('outbox').select('sent_at').where('campaign_id', '=', id).execute()
        ).map((r) => Number(r.sent_at));
        // A burst of 4, then one every 250 ms: the last of 12 goes out no sooner than 2 s after the start.
        assert.ok(Math.max(...times) - started >= 1_900, `spread ${Math.max(...times) - started} ms`);
      } finally {
        await t.cleanup();
      }
    });
  });
}
