import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newMessageId } from '../../src/mail/message-id.js';
import { CountChanges } from '../../src/mail/count-changes.js';
import { claimDue, type ClaimCursor } from '../../src/mail/outbox-claim.repo.js';
import { enqueue, release, settle } from '../../src/mail/outbox.repo.js';
import type { Database } from '../../src/db/database.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';
import { FORM, servicesFor } from '../helpers/services.js';
import { startSmtpReceiver } from '../helpers/smtp-receiver.js';

async function queue(database: Database, count: number, now: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      await enqueue(
        database.db,
        {
          kind: 'notification',
          listId: null,
          subscriberId: null,
          messageId: newMessageId('shop.test', Date.now()),
          notBefore: now + i,
        },
        now,
      ),
    );
  }
  return ids;
}

for (const dialect of DIALECTS) {
  describe(`outbox leases on ${dialect.name}`, { skip: dialect.skip }, () => {
    let ctx: Awaited<ReturnType<typeof migratedDatabase>>;
    before(async () => {
      ctx = await migratedDatabase(dialect);
    });
    after(() => ctx.cleanup());

    it('claims due rows once, reclaims expired leases, ignores a lost lease, releases unstarted rows', async () => {
      const { database } = ctx;
      const now = 1_000_000;
      const ids = await queue(database, 6, now);
      await enqueue(
        database.db,
        {
          kind: 'notification',
          listId: null,
          subscriberId: null,
          messageId: newMessageId('shop.test', Date.now()),
          notBefore: now + 10_000,
        },
        now,
      );

      const a = await claimDue(database, {
        workerId: 'A',
        now: now + 100,
        leaseMs: 1000,
        limit: 4,
      });
      assert.deepEqual(
        a.map((r) => r.id),
        ids.slice(0, 4),
      );
      assert.ok(a.every((r) => r.status === 'sending' && r.attempts === 1 && r.leased_by === 'A'));
      const b = await claimDue(database, {
        workerId: 'B',
        now: now + 100,
        leaseMs: 1000,
        limit: 10,
      });
      assert.deepEqual(
        b.map((r) => r.id),
        ids.slice(4),
        "the future row is not due and A's rows are leased",
      );

      assert.equal(
        await settle(database.db, a[0]!, 'A', { status: 'sent', response: '250 ok' }, now + 200, new CountChanges()),
        true,
      );
      // A dies; after its lease ends C takes over the rest of A's rows.
      const c = await claimDue(database, {
        workerId: 'C',
        now: now + 5000,
        leaseMs: 1000,
        limit: 10,
      });
      assert.deepEqual(
        c.map((r) => r.id).sort((x, y) => x - y),
        [...ids.slice(1, 4), ...ids.slice(4)],
      );
      assert.ok(
        c.every((r) => r.attempts === 2),
        'a crash mid-send counts as an attempt',
      );
      assert.equal(
        await settle(database.db, a[1]!, 'A', { status: 'sent', response: 'late' }, now + 5001, new CountChanges()),
        false,
        'A lost its lease',
      );

      await release(
        database.db,
        c.map((r) => r.id),
        'C',
        now + 5002,
      );
      const again = await claimDue(database, {
        workerId: 'D',
        now: now + 5003,
        leaseMs: 1000,
        limit: 10,
      });
      assert.equal(again.length, c.length);
      assert.ok(
        again.every((r) => r.attempts === 2),
        'release undid the attempt count',
      );
      const sentRow = await database.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', a[0]!.id)
        .executeTakeFirstOrThrow();
      assert.equal(sentRow.status, 'sent');
      assert.equal(sentRow.response, '250 ok');
    });

    it('hands every row to exactly one of several concurrent claimers', async () => {
      const { database } = ctx;
      const now = 2_000_000;
      const ids = await queue(database, 200, now);
      const claims = await Promise.all(
        ['W1', 'W2', 'W3', 'W4'].map(async (worker) => {
          const got: number[] = [];
          for (;;) {
            const rows = await claimDue(database, {
              workerId: worker,
              now: now + 1000,
              leaseMs: 60_000,
              limit: 7,
            });
            if (rows.length === 0) return got;
            got.push(...rows.map((r) => r.id));
          }
        }),
      );
      const all = claims.flat().filter((id) => ids.includes(id));
      assert.equal(all.length, ids.length, 'nothing claimed twice');
      assert.equal(new Set(all).size, ids.length, 'nothing skipped');
    });
  });

  describe(`outbox claim order on ${dialect.name}`, { skip: dialect.skip }, () => {
    let own: Awaited<ReturnType<typeof migratedDatabase>>;
    before(async () => {
      own = await migratedDatabase(dialect);
    });
    after(() => own.cleanup());

    it('claims a confirmation before a campaign backlog that was due earlier', async () => {
      const { database } = own;
      const now = 3_000_000;
      const backlog: number[] = [];
      for (let i = 0; i < 250; i++) {
        backlog.push(
          await enqueue(
            database.db,
            {
              kind: 'campaign',
              campaignId: 77,
              listId: null,
              subscriberId: null,
              messageId: newMessageId('shop.test', Date.now()),
              notBefore: now + i,
            },
            now,
          ),
        );
      }
      const confirmation = await enqueue(
        database.db,
        {
          kind: 'confirmation',
          listId: null,
          subscriberId: null,
          messageId: newMessageId('shop.test', Date.now()),
          notBefore: now + 500,
        },
        now,
      );
      const first = await claimDue(database, {
        workerId: 'T',
        now: now + 1000,
        leaseMs: 60_000,
        limit: 10,
      });
      assert.deepEqual(
        first.map((r) => r.id),
        [confirmation, ...backlog.slice(0, 9)],
        'the confirmation first, then the campaign in due order',
      );
      const rest = await claimDue(database, {
        workerId: 'T',
        now: now + 1000,
        leaseMs: 60_000,
        limit: 1000,
      });
      assert.deepEqual(
        rest.map((r) => r.id),
        backlog.slice(9),
      );
    });
  });

  describe(`outbox claim cursor on ${dialect.name}`, { skip: dialect.skip }, () => {
    let own: Awaited<ReturnType<typeof migratedDatabase>>;
    before(async () => {
      own = await migratedDatabase(dialect);
    });
    after(() => own.cleanup());

    async function campaignRows(database: Database, count: number, at: number, status?: 'deferred') {
      const ids: number[] = [];
      for (let i = 0; i < count; i++)
        ids.push(
          await enqueue(
            database.db,
            {
              kind: 'campaign',
              campaignId: 78,
              listId: null,
              subscriberId: null,
              messageId: newMessageId('shop.test', Date.now()),
              notBefore: at + i,
            },
            at,
          ),
        );
      if (status) await database.db.updateTable('outbox').set({ status }).where('id', 'in', ids).execute();
      return ids;
    }

    it('claims queued campaign mail from where its last claim ended; a row behind it is taken after the next look everywhere, even one that filled its batch with retries', async () => {
      const { database } = own;
      const now = 4_000_000;
      const rows = await campaignRows(database, 5, now);
      const cursor: ClaimCursor = {};
      const claim = async (all: boolean, limit = 10) =>
        (await claimDue(database, { workerId: 'K', now: now + 100, leaseMs: 60_000, limit, all, cursor })).map(
          (r) => r.id,
        );
      assert.deepEqual(await claim(false, 2), rows.slice(0, 2));
      assert.equal(cursor.campaignFrom, now + 1, 'the due time of the latest row taken');
      // The first row goes back to the queue, behind the cursor (as a resumed or put-back row does).
      await release(database.db, [rows[0] as number], 'K', now + 50);
      assert.deepEqual(await claim(false), rows.slice(2), 'queued mail from the cursor on');
      assert.deepEqual(await claim(false), [], 'the row behind the cursor is not walked to');
      // Retries due in numbers: the look everywhere takes them first and fills its batch...
      const retries = await campaignRows(database, 3, now + 10, 'deferred');
      assert.deepEqual(await claim(true, 2), retries.slice(0, 2));
      assert.equal(cursor.campaignFrom, undefined, 'the look everywhere forgot the cursor');
      // ...and the claim after it starts at the front.
      assert.deepEqual(await claim(false, 2), [rows[0]]);
      assert.equal(cursor.campaignFrom, now);
    });
  });

  describe(`outbox worker over real SMTP on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('sends, defers 4xx with backoff and never retries a 5xx', async () => {
      const receiver = await startSmtpReceiver((rcpt, attempt) => {
        if (rcpt.startsWith('busy') && attempt === 1) return { code: 451, message: '4.7.1 Try again later' };
        if (rcpt.startsWith('gone')) return { code: 550, message: '5.1.1 No such user' };
        return undefined;
      });
      const t = await servicesFor(dialect, { LISTWARDEN_SMTP_URL: receiver.url });
      try {
        const s = t.services;
        await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
        for (const email of ['ok@example.test', 'busy@example.test', 'gone@example.test']) {
          assert.equal((await s.signup({ list: 'news', email }, FORM)).confirmationMail, 'queued');
        }
        const before = Date.now();
        assert.equal(await s.worker.drain(), 3);
        const rows = await s.database.db
          .selectFrom('outbox')
          .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
          .select([
            'subscribers.email',
            'outbox.status',
            'outbox.attempts',
            'outbox.next_attempt_at',
            'outbox.last_error',
            'outbox.response',
            'outbox.message_id',
          ])
          .execute();
        const by = Object.fromEntries(rows.map((r) => [r.email, r]));
        assert.equal(by['ok@example.test']!.status, 'sent');
        assert.match(by['ok@example.test']!.response ?? '', /250.*Queued as test/);
        assert.equal(by['busy@example.test']!.status, 'deferred');
        assert.match(by['busy@example.test']!.last_error ?? '', /451/);
        assert.ok(by['busy@example.test']!.next_attempt_at >= before + 25_000, 'backed off');
        assert.equal(by['gone@example.test']!.status, 'bounced');
        assert.match(by['gone@example.test']!.last_error ?? '', /550/);
        assert.equal(receiver.received.length, 1);
        assert.deepEqual(receiver.received[0]!.to, ['ok@example.test']);
        assert.match(receiver.received[0]!.from, /^bounces\+[a-z2-7]{26}@shop\.test$/);
        assert.ok(receiver.received[0]!.raw.includes(`Message-ID: ${by['ok@example.test']!.message_id}`));

        // The deferred one goes when its time comes, with the same Message-ID; the bounce never again.
        await s.database.db
          .updateTable('outbox')
          .set({ next_attempt_at: 0 })
          .where('status', '=', 'deferred')
          .execute();
        assert.equal(await s.worker.drain(), 1);
        assert.equal(receiver.received.length, 2);
        assert.ok(receiver.received[1]!.raw.includes(`Message-ID: ${by['busy@example.test']!.message_id}`));
      } finally {
        await t.cleanup();
        await receiver.close();
      }
    });
  });

  describe(`outbox worker batches on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('goes on with the next batch while a slow message of the last one is still being sent', async () => {
      // Batches of 5 on 2 runners; the receiver holds its answer to the first message until 8
      // others have arrived (or 5 s have passed). A worker that waits at each batch's end for its
      // slowest message would send only the 4 others of the first batch meanwhile.
      let others = 0;
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
        setTimeout(resolve, 5_000).unref();
      });
      let receivedBeforeRelease = 0;
      const receiver = await startSmtpReceiver(undefined, {
        holdReply(message) {
          if (message.to[0] === 'slow@example.test') return released;
          others++;
          if (others === 8) release();
          return undefined;
        },
      });
      void released.then(() => {
        receivedBeforeRelease = others;
      });
      const t = await servicesFor(dialect, {
        LISTWARDEN_SMTP_URL: receiver.url,
        LISTWARDEN_OUTBOX_BATCH: '5',
        LISTWARDEN_OUTBOX_CONCURRENCY: '2',
      });
      try {
        const s = t.services;
        await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
        const emails = ['slow@example.test', ...Array.from({ length: 11 }, (_, i) => `p${i}@example.test`)];
        for (const email of emails) await s.signup({ list: 'news', email }, FORM);
        assert.equal(await s.worker.drain(), 12);
        assert.equal(receiver.received.length, 12);
        assert.ok(receivedBeforeRelease >= 8, `${receivedBeforeRelease} messages went out while the slow one was held`);
        const statuses = await s.database.db.selectFrom('outbox').select('status').execute();
        assert.deepEqual(
          statuses.map((r) => r.status),
          Array(12).fill('sent'),
        );
      } finally {
        await t.cleanup();
        await receiver.close();
      }
    });
  });

  describe(`outbox worker with slow sends on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('never takes its own rows again when their leases run out while it still holds them', async () => {
      // Batches of 4 on 2 runners with a 2 s lease; each send takes 1.5 s of the clock, so the
      // last rows of a batch wait past their lease while the worker already claims the next one.
      let now = Date.parse('2026-06-01T09:00:00Z');
      const receiver = await startSmtpReceiver(undefined, {
        holdReply() {
          now += 1_500;
          return new Promise((resolve) => setTimeout(resolve, 20));
        },
      });
      const t = await servicesFor(
        dialect,
        {
          LISTWARDEN_SMTP_URL: receiver.url,
          LISTWARDEN_OUTBOX_BATCH: '4',
          LISTWARDEN_OUTBOX_CONCURRENCY: '2',
          LISTWARDEN_OUTBOX_LEASE_SECONDS: '2',
        },
        { clock: { now: () => now } },
      );
      try {
        const s = t.services;
        await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
        for (let i = 0; i < 6; i++) await s.signup({ list: 'news', email: `slow${i}@example.test` }, FORM);
        assert.equal(await s.worker.drain(), 6);
        assert.deepEqual(
          receiver.received.map((m) => m.to[0]).sort(),
          Array.from({ length: 6 }, (_, i) => `slow${i}@example.test`),
        );
      } finally {
        await t.cleanup();
        await receiver.close();
      }
    });
  });

  describe(`outbox worker with a broken template on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('defers the message with the reason instead of leaving it leased', async () => {
      const t = await servicesFor(dialect);
      try {
        const s = t.services;
        mkdirSync(join(s.config.templatesDir, 'mail'), { recursive: true });
        writeFileSync(join(s.config.templatesDir, 'mail', 'confirmation-html.liquid'), '{% if %}broken');
        await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
        await s.signup({ list: 'news', email: 'tpl@example.test' }, FORM);
        assert.equal(await s.worker.drain(), 1);
        const row = await s.database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
        assert.equal(row.status, 'deferred');
        assert.equal(row.leased_by, null);
        assert.match(row.last_error ?? '', /confirmation-html\.liquid, line:1/);
      } finally {
        await t.cleanup();
      }
    });
  });
}
