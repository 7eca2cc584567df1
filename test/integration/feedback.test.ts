import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { DIALECTS } from '../helpers/databases.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { capturedMails } from '../helpers/listwarden.js';
import { confirmedSignups, servicesFor, type TestServices } from '../helpers/services.js';

const HTML = '<p>Hi {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>';

/** Each style, the address it is about, and what must follow. */
const CASES: Array<[string, 'bounced' | 'unsubscribed' | 'confirmed', string | null]> = [
  ['postfix-dsn.eml', 'bounced', 'hard_bounce'],
  ['exim.eml', 'bounced', 'hard_bounce'],
  ['qmail.eml', 'bounced', 'hard_bounce'],
  ['exchange-o365.eml', 'bounced', 'hard_bounce'],
  ['exchange-2003.eml', 'bounced', 'hard_bounce'],
  ['gmail-dsn.eml', 'bounced', 'hard_bounce'],
  ['gmail-legacy.eml', 'bounced', 'hard_bounce'],
  ['yahoo.eml', 'bounced', 'hard_bounce'],
  ['sendmail.eml', 'bounced', 'hard_bounce'],
  ['arf.eml', 'unsubscribed', 'complaint'],
  ['yahoo-cfl.eml', 'unsubscribed', 'complaint'],
  ['jmrp.eml', 'unsubscribed', 'complaint'],
  ['postfix-delayed.eml', 'confirmed', null],
  ['exim-quota.eml', 'confirmed', null],
  ['auto-reply.eml', 'confirmed', null],
  ['vacation.eml', 'confirmed', null],
];

for (const dialect of DIALECTS) {
  describe(`feedback intake on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    let listId = 0;
    let campaignId = 0;
    /** Recipient address → what our sent copy carried (VERP, Message-ID). */
    const sent = new Map<string, { verp: string; messageId: string }>();
    const count = CASES.length + 6;

    before(async () => {
      t = await servicesFor(dialect, {
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test',
        LISTWARDEN_GUARD_MIN_DELIVERIES: '1000',
      });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      listId = list.id;
      await confirmedSignups(
        s,
        list,
        Array.from({ length: count }, (_, i) => ({ email: `r${i}@example.net`, name: `R${i}` })),
      );
      await s.worker.drain();
      campaignId = (await s.campaigns.create({ list: 'news', subject: 'Winter sale', html: HTML })).id;
      assert.ok(await moveCampaign(s.database.db, campaignId, ['draft'], 'running', Date.now()));
      await fanOut(s.database, { id: campaignId, list_id: listId }, 'shop.test');
      await s.worker.drain();
      for (const mail of await capturedMails(t.captureDir)) {
        if (!mail.raw.includes(`X-Campaign: ${campaignId}`)) continue;
        sent.set(mail.to, { verp: mail.returnPath, messageId: (mail.parsed.messageId ?? '').replace(/^<|>$/g, '') });
      }
    });
    after(() => t.cleanup());

    it('sends campaign mail with a VERP return path and a Feedback-ID', async () => {
      assert.equal(sent.size, count);
      const mails = (await capturedMails(t.captureDir)).filter((m) => m.raw.includes(`X-Campaign: ${campaignId}`));
      assert.ok(mails.every((m) => /^bounces\+[a-z2-7]{26}@shop\.test$/.test(m.returnPath)));
      assert.equal(new Set(mails.map((m) => m.returnPath)).size, count, 'one return path per message');
      assert.ok(mails.every((m) => m.raw.includes(`Feedback-ID: ${campaignId}:${listId}:campaign:listwarden\r\n`)));
    });

    it('maps every style to its recipient and acts on it', async () => {
      const s = t.services;
      for (const [i, [name, status, suppression]] of CASES.entries()) {
        const rcpt = `r${i}@example.net`;
        const ours = sent.get(rcpt);
        assert.ok(ours, rcpt);
        const result = await s.feedback.ingest(
          Buffer.from(fixture(name, { RCPT: rcpt, VERP: ours.verp, MSGID: ours.messageId })),
          { channel: 'file' },
        );
        assert.equal(result.outcome, 'applied', `${name}: ${JSON.stringify(result)}`);
        const view = await s.subscribers.show(rcpt);
        assert.equal(view.subscriptions[0]?.status, status, name);
        assert.equal(view.suppressed?.reason ?? null, suppression, name);
        if (status !== 'confirmed') {
          const event = view.events.find((e) => e.type === (status === 'bounced' ? 'bounce' : 'complaint'));
          assert.ok(event, `${name}: consent event`);
          assert.equal(event.source, 'feedback:file');
          assert.equal(event.detail.messageId, `<${ours.messageId}>`, `${name}: the evidence names our message`);
        }
      }
      const listed = await s.feedback.list({ limit: 100 });
      assert.equal(listed.events.filter((e) => e.kind === 'hard_bounce').length, 9);
      assert.equal(listed.events.filter((e) => e.kind === 'complaint').length, 3);
      assert.equal(listed.events.filter((e) => e.kind === 'soft_bounce').length, 2);
      assert.equal(listed.events.filter((e) => e.kind === 'auto_reply').length, 2);
      const status = await s.campaigns.status(campaignId);
      assert.equal(status.feedback.hardBounces, 9);
      assert.equal(status.feedback.complaints, 3);
      assert.equal(status.feedback.hardBounceRate, Math.round((9 / count) * 1e6) / 1e6);
    });

    it('finds the recipient by Message-ID, then by address, when the VERP is gone', async () => {
      const s = t.services;
      const a = `r${CASES.length}@example.net`;
      const byMessageId = fixture('yahoo-cfl.eml', {
        RCPT: a,
        VERP: 'bounces@shop.test',
        MSGID: sent.get(a)!.messageId,
      });
      assert.equal((await s.feedback.ingest(Buffer.from(byMessageId), { channel: 'api' })).outcome, 'applied');
      assert.equal((await s.subscribers.show(a)).subscriptions[0]?.status, 'unsubscribed');
      const b = `r${CASES.length + 1}@example.net`;
      const byAddress = fixture('postfix-dsn.eml', {
        RCPT: b,
        VERP: 'bounces@shop.test',
        MSGID: 'not-ours@elsewhere.example',
      });
      assert.equal((await s.feedback.ingest(Buffer.from(byAddress), { channel: 'api' })).outcome, 'applied');
      assert.equal((await s.subscribers.show(b)).subscriptions[0]?.status, 'bounced');
    });

    it('applies a report once, however often it arrives', async () => {
      const s = t.services;
      const c = `r${CASES.length + 2}@example.net`;
      const raw = Buffer.from(fixture('arf.eml', { RCPT: c, VERP: sent.get(c)!.verp, MSGID: sent.get(c)!.messageId }));
      assert.equal((await s.feedback.ingest(raw, { channel: 'smtp' })).outcome, 'applied');
      assert.equal((await s.feedback.ingest(raw, { channel: 'file' })).outcome, 'duplicate');
      const view = await s.subscribers.show(c);
      assert.equal(view.events.filter((e) => e.type === 'complaint').length, 1);
    });

    it('suppresses after three soft bounces within the window', async () => {
      const s = t.services;
      const d = `r${CASES.length + 3}@example.net`;
      for (let n = 1; n <= 3; n++) {
        const raw = fixture('exim-quota.eml', {
          RCPT: d,
          VERP: sent.get(d)!.verp,
          MSGID: sent.get(d)!.messageId,
        }).replace('E1qA7Zk-0007Xo-2b', `soft-${n}`);
        const result = await s.feedback.ingest(Buffer.from(raw), { channel: 'file' });
        assert.ok(result.outcome === 'applied' && result.kind === 'soft_bounce');
        assert.match(
          result.action,
          n < 3 ? new RegExp(`soft bounce ${n} of 3`) : /suppressed after 3 soft bounces in 14 days/,
        );
      }
      const view = await s.subscribers.show(d);
      assert.equal(view.suppressed?.reason, 'soft_bounces');
      assert.equal(view.subscriptions[0]?.status, 'bounced');
    });

    it('records a 5xx from our own SMTP session as a hard bounce', async () => {
      const s = t.services;
      const e = `r${CASES.length + 4}@example.net`;
      const row = await s.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('message_id', '=', `<${sent.get(e)!.messageId}>`)
        .executeTakeFirstOrThrow();
      await s.feedback.sessionRejection(row, '550 5.1.1 <r@example.net>: Recipient address rejected: User unknown');
      const view = await s.subscribers.show(e);
      assert.equal(view.subscriptions[0]?.status, 'bounced');
      assert.equal(view.suppressed?.reason, 'hard_bounce');
    });

    it('keeps what it cannot read in quarantine, with the reason', async () => {
      const s = t.services;
      const raw = Buffer.from('From: someone@example.org\r\nSubject: hello\r\n\r\nNot a report at all.\r\n');
      const result = await s.feedback.ingest(raw, { channel: 'api' });
      assert.equal(result.outcome, 'quarantined');
      const row = await s.database.db
        .selectFrom('feedback_quarantine')
        .selectAll()
        .where('id', '=', result.outcome === 'quarantined' ? result.quarantineId : 0)
        .executeTakeFirstOrThrow();
      assert.match(row.reason, /not a bounce, a complaint or an automatic reply/);
      assert.equal(Buffer.from(row.raw).toString(), raw.toString(), 'the message is kept byte for byte');
    });

    it('leaves the bounced and the complaining out of the next campaign', async () => {
      const s = t.services;
      const next = (await s.campaigns.create({ list: 'news', subject: 'Spring sale', html: HTML })).id;
      assert.ok(await moveCampaign(s.database.db, next, ['draft'], 'running', Date.now()));
      const queued = await fanOut(s.database, { id: next, list_id: listId }, 'shop.test');
      // 9 hard + 3 complaints + 2 by Message-ID/address + 1 duplicate-tested complaint + 1 soft-suppressed + 1 session bounce.
      assert.equal(queued, count - 17);
    });

    it('stops a running campaign whose complaint rate crosses the limit, and tells the owner', async () => {
      const s = t.services;
      // Judge this campaign with a low bar: 1 complaint in ~22 deliveries is far above 0.1%.
      Object.assign(s.config.guard, { minDeliveries: 5 });
      const f = `r${CASES.length + 5}@example.net`;
      const raw = fixture('arf.eml', { RCPT: f, VERP: sent.get(f)!.verp, MSGID: sent.get(f)!.messageId }).replace(
        'fbl.8f3e2b1c',
        'fbl.second',
      );
      const before = await s.campaigns.status(campaignId);
      assert.equal(before.status, 'running');
      await s.feedback.ingest(Buffer.from(raw), { channel: 'smtp' });
      await new Promise((r) => setTimeout(r, 1100)); // the check is debounced to once a second
      await s.guard.check(campaignId);
      const stopped = await s.campaigns.status(campaignId);
      assert.equal(stopped.status, 'stopped_by_guard');
      assert.match(stopped.stopReason ?? '', /complaint rate .* is above the limit of 0\.1%/);
      const alert = await s.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('kind', '=', 'notification')
        .executeTakeFirstOrThrow();
      assert.match(alert.payload ?? '', /owner@shop\.test/);
      await s.worker.drain();
      const mails = await capturedMails(t.captureDir);
      const mail = mails.find((m) => m.to === 'owner@shop.test');
      assert.ok(mail, 'the owner got mail');
      assert.match(mail.parsed.text ?? '', /campaigns resume \d+ --force/);
      await assert.rejects(s.campaigns.resume(campaignId), /stopped by the circuit breaker .* resume with --force/);
      const resumed = await s.campaigns.resume(campaignId, { force: true });
      assert.equal(resumed.status, 'running');
      assert.equal(await s.guard.check(campaignId), undefined, 'the count starts afresh after a forced resume');
    });
  });
}
