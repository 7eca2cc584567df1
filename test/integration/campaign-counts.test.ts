import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { createFanOuts, fanOut, fanOutBatch } from '../../src/campaigns/fan-out.js';
import type { Db } from '../../src/db/database.js';
import { campaignCounts } from '../../src/mail/campaign-counts.repo.js';
import { DIALECTS } from '../helpers/databases.js';
import { confirmedSignups, FORM, servicesFor, type TestServices } from '../helpers/services.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';

const HTML = '<p>Hi {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>';

/** The campaign's rows counted the slow way (what the kept counts must always equal). */
async function countedRows(db: Db, campaignId: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select((s) => ['status', s.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy('status')
    .execute();
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const status = r.status === 'sending' ? 'queued' : r.status;
    counts[status] = (counts[status] ?? 0) + Number(r.n);
  }
  return counts;
}

for (const dialect of DIALECTS) {
  describe(
    `campaign counts kept as mail moves, and the fan-out while sending, on ${dialect.name}`,
    {
      skip: dialect.skip,
    },
    () => {
      let t: TestServices;
      let receiver: SmtpReceiver;
      let listId = 0;
      const PEOPLE = 23;
      // After the first test: one erased, the two refused ones suppressed.
      const LATER = PEOPLE - 3;
      before(async () => {
        // busy…: deferred once (451); gone…: refused for good (550).
        receiver = await startSmtpReceiver((rcpt, attempt) => {
          if (rcpt.startsWith('busy') && attempt === 1) return { code: 451, message: '4.7.1 Try again later' };
          if (rcpt.startsWith('gone')) return { code: 550, message: '5.1.1 No such user' };
          return undefined;
        });
        t = await servicesFor(dialect, {
          LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
          LISTWARDEN_SMTP_URL: receiver.url,
          // One destination for all: no pacing in the way of the counts.
          LISTWARDEN_DESTINATION_RATE: '100000',
          // A deferral rests its destination and retries after about a second.
          LISTWARDEN_RETRY_BASE_SECONDS: '1',
        });
        const s = t.services;
        const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
        await s.dkim.generate({ domain: 'shop.test' });
        listId = list.id;
        const names = Array.from({ length: PEOPLE }, (_, i) => (i < 3 ? `busy${i}` : i < 5 ? `gone${i}` : `p${i}`));
        await confirmedSignups(
          s,
          list,
          // The deferred ones at a destination of their own: its slowed pace holds up nobody else.
          names.map((n) => ({ email: `${n}@${n.startsWith('busy') ? 'slow' : 'example'}.test`, name: n })),
        );
        await s.worker.drain(); // the confirmation mails
        receiver.received.length = 0;
      });
      after(async () => {
        await t.cleanup();
        await receiver.close();
      });

      async function runningCampaign(fanoutAfter: number | null = null): Promise<number> {
        const s = t.services;
        const { id } = await s.campaigns.create({ list: 'news', subject: 'Hello {{ subscriber.name }}', html: HTML });
        // The opt-out self-test needs the HTTP server (test/e2e/campaigns.test.ts); start the engine directly.
        assert.ok(
          await moveCampaign(s.database.db, id, ['draft'], 'running', Date.now(), { fanout_after: fanoutAfter }),
        );
        return id;
      }

      /** Drains the worker until the campaign has nothing queued or deferred (retries come after a second). */
      async function sendUntilDone(id: number): Promise<void> {
        const deadline = Date.now() + 15_000;
        for (;;) {
          await t.services.worker.drain();
          const counts = await campaignCounts(t.services.database.db, id);
          if (!counts.queued && !counts.deferred) return;
          assert.ok(Date.now() < deadline, `still unsent: ${JSON.stringify(counts)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }

      async function assertCountsMatch(id: number, step: string): Promise<Record<string, number>> {
        const kept = await campaignCounts(t.services.database.db, id);
        const counted = await countedRows(t.services.database.db, id);
        assert.deepEqual(kept, counted, `after ${step}`);
        return counted;
      }

      it('equal the rows through fan-out, erasure, pause, resume, sending, deferral, refusal and retry', async () => {
        const s = t.services;
        const db = s.database.db;
        const id = await runningCampaign();
        assert.equal(await fanOut(s.database, { id, list_id: listId }, 'shop.test', 7), PEOPLE);
        assert.deepEqual(await assertCountsMatch(id, 'the fan-out'), { queued: PEOPLE });
        assert.equal(await fanOut(s.database, { id, list_id: listId }, 'shop.test', 7), 0, 'a second run adds nothing');
        await assertCountsMatch(id, 'a second fan-out');

        await s.subscribers.erase('p22@example.test', { ip: null, userAgent: null, source: 'cli', channel: 'cli' });
        assert.equal((await assertCountsMatch(id, 'an erasure')).cancelled, 1);

        await s.campaigns.pause(id);
        assert.equal((await assertCountsMatch(id, 'a pause')).held, PEOPLE - 1);
        await s.campaigns.resume(id);
        assert.equal((await assertCountsMatch(id, 'a resume')).queued, PEOPLE - 1);

        await s.worker.drain();
        const first = await assertCountsMatch(id, 'the first pass');
        assert.deepEqual(first, { sent: PEOPLE - 6, deferred: 3, bounced: 2, cancelled: 1 });
        const view = await s.campaigns.status(id);
        assert.deepEqual(
          [view.total, view.sent, view.deferred, view.bounced, view.cancelled, view.queued],
          [PEOPLE, PEOPLE - 6, 3, 2, 1, 0],
        );

        // The deferred ones come due: claimed again (deferred → queued in the counts) and sent.
        await sendUntilDone(id);
        assert.deepEqual(await assertCountsMatch(id, 'the retry'), { sent: PEOPLE - 3, bounced: 2, cancelled: 1 });
        assert.equal(await s.campaigns.finishCompleted(), 1);
        assert.equal((await s.campaigns.status(id)).status, 'finished');
      });

      it('a cancel moves what is left, counted', async () => {
        const s = t.services;
        const id = await runningCampaign();
        await fanOut(s.database, { id, list_id: listId }, 'shop.test');
        await s.campaigns.cancel(id);
        assert.deepEqual(await assertCountsMatch(id, 'a cancel'), { cancelled: LATER });
      });

      it('is not finished while its fan-out goes on; a pause stops the fan-out and a resume carries it on', async () => {
        const s = t.services;
        const id = await runningCampaign(0);
        const target = { id, list_id: listId, messageDomain: 'shop.test' };
        assert.deepEqual(await fanOutBatch(s.database, target, undefined, 5), { queued: 5, more: true });
        await s.worker.drain();
        assert.equal(await s.campaigns.finishCompleted(), 0, 'five sent, nothing unsent, but the fan-out is not done');
        assert.equal((await s.campaigns.status(id)).status, 'running');

        await s.campaigns.pause(id);
        assert.deepEqual(await fanOutBatch(s.database, target, undefined, 5), { queued: 0, more: false });
        assert.equal(
          (await assertCountsMatch(id, 'a batch while paused')).queued,
          undefined,
          'nothing queued while paused',
        );

        // The resume carries the fan-out on to the end (here awaited: the CLI's way).
        await s.campaigns.resume(id);
        const counts = await assertCountsMatch(id, 'the resumed fan-out');
        assert.equal(
          Object.values(counts).reduce((a, b) => a + b, 0),
          LATER,
        );
        await sendUntilDone(id);
        assert.equal(await s.campaigns.finishCompleted(), 1);
        const done = await assertCountsMatch(id, 'the end');
        assert.deepEqual(done, { sent: LATER });
      });

      it('after a crash mid-fan-out, another process carries it on from its position, queueing nobody twice', async () => {
        const s = t.services;
        const id = await runningCampaign(0);
        const target = { id, list_id: listId, messageDomain: 'shop.test' };
        await fanOutBatch(s.database, target, undefined, 4);
        await fanOutBatch(s.database, target, undefined, 4);
        // The "new process": its own runner, told only what the database says.
        const fanOuts = createFanOuts({ database: s.database, messageDomainOf: () => 'shop.test' });
        await fanOuts.resume();
        const campaign = await s.database.db
          .selectFrom('campaigns')
          .select('fanout_after')
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.equal(campaign.fanout_after, null, 'the fan-out is done');
        const rows = await s.database.db
          .selectFrom('outbox')
          .select('subscriber_id')
          .where('campaign_id', '=', id)
          .execute();
        assert.equal(rows.length, LATER);
        assert.equal(new Set(rows.map((r) => r.subscriber_id)).size, LATER);
        await assertCountsMatch(id, 'the carried-on fan-out');
        await s.campaigns.cancel(id);
      });

      it('in the background the fan-out keeps pace with the sending: no more queued than it may keep ahead', async () => {
        const s = t.services;
        const id = await runningCampaign(0);
        const fanOuts = createFanOuts({
          database: s.database,
          messageDomainOf: () => 'shop.test',
          batchSize: 4,
          ahead: 6,
        });
        const running = fanOuts.resume();
        const fanoutAfter = async () =>
          (
            await s.database.db
              .selectFrom('campaigns')
              .select('fanout_after')
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
          ).fanout_after;
        // Two batches of 4 reach 6 ahead; then it waits for the sending.
        await new Promise((resolve) => setTimeout(resolve, 800));
        assert.deepEqual(await assertCountsMatch(id, 'a paced fan-out'), { queued: 8 });
        assert.notEqual(await fanoutAfter(), null, 'the fan-out waits, unfinished');
        // Each time the worker sends what is queued, the fan-out carries on, until everyone is queued.
        let rounds = 0;
        while ((await fanoutAfter()) !== null) {
          assert.ok(++rounds < 20, 'the fan-out carries on as mail is sent');
          await s.worker.drain();
          await new Promise((resolve) => setTimeout(resolve, 400));
          const queued = (await assertCountsMatch(id, 'while paced')).queued ?? 0;
          assert.ok(queued <= 8, `at most two batches queued ahead, not ${queued}`);
        }
        await running;
        assert.ok(rounds >= 2, 'it waited for the sending more than once');
        await sendUntilDone(id);
        assert.deepEqual(await assertCountsMatch(id, 'the end of a paced fan-out'), { sent: LATER });
        await fanOuts.stop();
      });
    },
  );
}
