import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { findSuppression, suppress } from '../../src/consent/consent.repo.js';
import { importCsv } from '../../src/consent/import.js';
import { suppressionHash } from '../../src/consent/suppression-key.js';
import { createLogger } from '../../src/shared/logger.js';
import { createWebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/dispatcher.js';
import { DIALECTS } from '../helpers/databases.js';
import { confirmedSignups, FORM, servicesFor, type TestServices } from '../helpers/services.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';
import { signedWith, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const HTML = '<p>Hi {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>';
const CAMPAIGN_SIZE = 600;

const until = async (done: () => boolean | Promise<boolean>, what: string, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

for (const dialect of DIALECTS) {
  describe(`transactional mail and outgoing webhooks on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    let smtp: SmtpReceiver;
    let hooks: WebhookReceiver;
    let listId = 0;
    const txTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));
    /** A dispatcher on the test's services, with the test's alert address and delivery rules. */
    const dispatcherFor = (options: Pick<WebhookDispatcherOptions, 'alerts' | 'policy'>) =>
      createWebhookDispatcher({
        database: t.services.database,
        clock: t.services.clock,
        logger: createLogger('silent'),
        openSecret: (sealed) => t.services.webhooks.openSecret(sealed),
        ...options,
      });

    before(async () => {
      // Each message takes the receiver 10 ms over two connections: a 600-recipient campaign runs ~3 s.
      smtp = await startSmtpReceiver(undefined, { delayMs: 10 });
      hooks = await startWebhookReceiver();
      t = await servicesFor(dialect, {
        LISTWARDEN_SMTP_URL: smtp.url,
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_OUTBOX_CONCURRENCY: '2',
        LISTWARDEN_TX_FROM: 'Tulip Shop <orders@shop.test>',
      });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      listId = list.id;
      await s.txTemplates.create('order', {
        subject: 'Order {{ order.number }}',
        html: '<p>Thanks {{ name }}: order {{ order.number }}</p>',
      });
      await s.txTemplates.create('password-reset', {
        subject: 'Your new password',
        html: '<p>Reset: {{ link }}</p>',
        essential: true,
      });
    });
    after(async () => {
      await t.services.worker.stop();
      await t.services.txWorker.stop();
      await t.cleanup();
      await smtp.close();
      await hooks.close();
    });

    it('an idempotency key names one message for 24 hours: the same id, nothing sent twice', async () => {
      const s = t.services;
      const body = {
        to: 'anna@example.test',
        template: 'order',
        data: { name: 'Anna', order: { number: '1001' } },
        idempotencyKey: 'order-1001',
      };
      const first = await s.tx.accept(body);
      assert.equal(first.status, 'queued');
      assert.deepEqual(await s.tx.accept(body), { id: first.id, status: 'duplicate' });
      await assert.rejects(s.tx.accept({ ...body, data: { name: 'Anna', order: { number: '1002' } } }), {
        code: 'conflict',
        message: /used for another message within 24 hours/,
      });
      assert.equal(await s.txWorker.drain(), 1);
      assert.equal(await s.txWorker.drain(), 0);
      const mail = txTo('anna@example.test');
      assert.equal(mail.length, 1);
      assert.match(mail[0]?.raw ?? '', /^Subject: Order 1001\r$/m);
      assert.match(mail[0]?.raw ?? '', /^Feedback-ID: order:tx:transactional:/m);
      assert.doesNotMatch(mail[0]?.raw ?? '', /List-Unsubscribe/i);
      assert.equal((await s.tx.status(first.id)).status, 'sent');
      // A day later the key is free again: a new message.
      await s.database.db
        .updateTable('tx_requests')
        .set({ created_at: Date.now() - 25 * 3_600_000 })
        .execute();
      const later = await s.tx.accept(body);
      assert.notEqual(later.id, first.id);
      assert.equal(later.status, 'queued');
      await s.txWorker.drain();
      assert.equal(txTo('anna@example.test').length, 2);
    });

    it('concurrent requests with one key make one message', async () => {
      const s = t.services;
      const body = { to: 'race@example.test', subject: 'Hi', text: 'One of us', idempotencyKey: 'race-1' };
      const answers = await Promise.all(Array.from({ length: 8 }, () => s.tx.accept(body)));
      assert.equal(new Set(answers.map((a) => a.id)).size, 1);
      assert.equal(answers.filter((a) => a.status === 'queued').length, 1);
    });

    it('complaints and unsubscribes stop marketing-like mail but not essential mail; a hard bounce stops both', async () => {
      const s = t.services;
      const now = Date.now();
      await suppress(s.database.db, suppressionHash('left@example.test'), 'unsubscribed_all', now);
      await suppress(s.database.db, suppressionHash('bounced@example.test'), 'hard_bounce', now);
      const order = (to: string) => s.tx.accept({ to, template: 'order', data: { order: { number: '7' } } });
      const reset = (to: string) =>
        s.tx.accept({ to, template: 'password-reset', data: { link: 'https://shop.test/r/1' } });
      assert.deepEqual(await order('left@example.test').then((a) => [a.status, a.reason]), [
        'suppressed',
        'unsubscribed_all',
      ]);
      assert.equal((await reset('left@example.test')).status, 'queued');
      assert.equal((await order('bounced@example.test')).status, 'suppressed');
      assert.equal((await reset('bounced@example.test')).status, 'suppressed');
      await s.txWorker.drain();
      assert.deepEqual(
        txTo('left@example.test').map((m) => /^Subject: (.*)\r$/m.exec(m.raw)?.[1]),
        ['Your new password'],
      );
      assert.equal(txTo('bounced@example.test').length, 0);
      // A suppression that arrives after acceptance still stops the message when it is sent.
      const queued = await order('late@example.test');
      await suppress(s.database.db, suppressionHash('late@example.test'), 'complaint', Date.now());
      await s.txWorker.drain();
      assert.equal(txTo('late@example.test').length, 0);
      assert.deepEqual(await s.tx.status(queued.id).then((v) => [v.status, v.error]), [
        'cancelled',
        'suppressed: complaint',
      ]);
    });

    it('each stream claims only its own mail: the main worker never takes order mail', async () => {
      const s = t.services;
      const ids = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          s.tx.accept({ to: `own${i}@example.test`, subject: 'Own', text: 'Own stream' }),
        ),
      );
      assert.equal(await s.worker.drain(), 0);
      assert.deepEqual(
        new Set(await Promise.all(ids.map(async (a) => (await s.tx.status(a.id)).status))),
        new Set(['queued']),
      );
      assert.equal(await s.txWorker.drain(), 5);
      const row = await s.database.db
        .selectFrom('outbox')
        .select(['recipient_hash'])
        .where('id', '=', ids[0]?.id ?? 0)
        .executeTakeFirstOrThrow();
      assert.equal(row.recipient_hash, suppressionHash('own0@example.test'));
      // Erasure takes the order mail's content too.
      await s.subscribers.erase('own0@example.test', FORM);
      const erased = await s.database.db
        .selectFrom('outbox')
        .select(['payload', 'recipient_hash'])
        .where('id', '=', ids[0]?.id ?? 0)
        .executeTakeFirstOrThrow();
      assert.deepEqual(erased, { payload: null, recipient_hash: null });
    });

    it('order mail overtakes a running campaign: it does not wait behind the backlog', async () => {
      const s = t.services;
      const csv = [
        'email,name,confirmed_at,confirm_ip',
        ...Array.from({ length: CAMPAIGN_SIZE }, (_, i) => `c${i}@example.test,C${i},2026-01-01T00:00:00Z,192.0.2.1`),
      ].join('\n');
      await importCsv(s.database, Readable.from([csv]), {
        list: await s.lists.requireList('news'),
        source: 'test',
        withProof: true,
        mailsPerHour: 3600,
      });
      const { id } = await s.campaigns.create({ list: 'news', subject: 'Sale', html: HTML, layout: 'none' });
      assert.ok(await moveCampaign(s.database.db, id, ['draft'], 'running', Date.now()));
      assert.equal(await fanOut(s.database, { id, list_id: listId }, 'shop.test'), CAMPAIGN_SIZE);
      s.worker.start();
      s.txWorker.start();
      const campaignMail = () => smtp.received.filter((m) => /^Subject: Sale\r$/m.test(m.raw)).length;
      await until(() => campaignMail() >= 50, 'the campaign to start');
      const accepted = Date.now();
      await s.tx.accept({ to: 'buyer@example.test', template: 'order', data: { order: { number: '42' } } });
      await until(() => txTo('buyer@example.test').length === 1, 'the order mail');
      const waited = Date.now() - accepted;
      const campaignAtThatTime = campaignMail();
      assert.ok(
        campaignAtThatTime < CAMPAIGN_SIZE,
        `the campaign was still sending (${campaignAtThatTime} of ${CAMPAIGN_SIZE})`,
      );
      assert.ok(waited < 1_000, `accepted to delivered in ${waited} ms`);
      await until(() => campaignMail() === CAMPAIGN_SIZE, 'the campaign', 60_000);
      // Its end is an event for the shop, written with the move to finished.
      const endpoint = await s.webhooks.create({ url: hooks.url, events: 'campaign.finished,campaign.stopped' });
      await until(
        async () => (await s.campaigns.finishCompleted(), (await s.campaigns.status(id)).status === 'finished'),
        'finished',
      );
      const events = await s.database.db
        .selectFrom('webhook_events')
        .select(['type', 'payload'])
        .where('type', 'like', 'campaign.%')
        .execute();
      assert.deepEqual(
        events.map((e) => e.type),
        ['campaign.finished'],
      );
      assert.equal((JSON.parse(events[0]?.payload ?? '{}') as { counts: { sent: number } }).counts.sent, CAMPAIGN_SIZE);
      await s.webhooks.remove(endpoint.id);
    });

    it('webhooks: a receiver that fails and recovers gets every event, in order per subscriber, signed', async () => {
      const s = t.services;
      const endpoint = await s.webhooks.create({
        url: hooks.url,
        events: 'subscriber.confirmed,subscriber.unsubscribed,tx.delivered',
      });
      // The first two tries fail (503, then a 500), the rest succeed.
      hooks.answer = (_r, n) => (n <= 2 ? (n === 1 ? 503 : 500) : 200);
      const dispatcher = dispatcherFor({
        alerts: { to: undefined, from: 'listwarden@shop.test' },
        policy: { baseDelayMs: 50, maxDelayMs: 200, disableAfterMs: 60_000 },
      });
      await confirmedSignups(s, { slug: 'news', id: listId }, [{ email: 'eve@example.test' }]);
      const eve = await s.subscribers.show('eve@example.test');
      await s.unsubscribe.unsubscribe(s.tokens.sign('unsubscribe', eve.id, listId), FORM, 'one-click');
      dispatcher.start();
      await until(
        () =>
          hooks.received.filter((r) => r.body.includes('eve@example.test') && hooks.received.indexOf(r) >= 2).length >=
          2,
        'both events after the failures',
      );
      await dispatcher.stop();
      const { secret } = await s.webhooks.secret(endpoint.id);
      const bodies = hooks.received.map((r) => {
        assert.ok(signedWith(secret, r), 'signed');
        return JSON.parse(r.body) as { type: string; data: { email: string; list: string } };
      });
      // The confirmation failed twice and was retried before the unsubscribe went: in order.
      assert.deepEqual(
        bodies.map((b) => b.type),
        ['subscriber.confirmed', 'subscriber.confirmed', 'subscriber.confirmed', 'subscriber.unsubscribed'],
      );
      assert.deepEqual(bodies[3]?.data, { ...bodies[3]?.data, email: 'eve@example.test', list: 'news' });
      assert.equal(
        new Set(hooks.received.slice(0, 3).map((r) => r.headers['webhook-id'])).size,
        1,
        'one id across retries',
      );
      const shown = await s.webhooks.show(endpoint.id);
      assert.deepEqual(shown.deliveries, { delivered: 2 });
      assert.deepEqual(shown.log.map((l) => l.statusCode).sort(), [200, 200, 500, 503]);
      await s.webhooks.remove(endpoint.id);
    });

    it('an endpoint that fails for the whole window is turned off and the owner told; its events wait', async () => {
      const s = t.services;
      hooks.received.length = 0;
      hooks.answer = () => 500;
      const endpoint = await s.webhooks.create({ url: hooks.url, events: ['subscriber.confirmed'] });
      const dispatcher = dispatcherFor({
        alerts: { to: 'owner@shop.test', from: 'listwarden@shop.test' },
        policy: { baseDelayMs: 20, maxDelayMs: 50, disableAfterMs: 400 },
      });
      await confirmedSignups(s, { slug: 'news', id: listId }, [{ email: 'finn@example.test' }]);
      dispatcher.start();
      await until(async () => !(await s.webhooks.show(endpoint.id)).enabled, 'the endpoint to be turned off');
      await dispatcher.stop();
      const shown = await s.webhooks.show(endpoint.id);
      assert.match(shown.disabledReason ?? '', /every delivery failed/);
      assert.deepEqual(shown.deliveries, { queued: 1 });
      const alert = await s.database.db
        .selectFrom('outbox')
        .select('payload')
        .where('kind', '=', 'notification')
        .execute();
      assert.ok(
        alert.some((a) => /Webhook endpoint \d+ turned off/.test(a.payload ?? '')),
        'owner alert queued',
      );
      // Turned on again, the waiting event is delivered.
      hooks.answer = () => 200;
      await s.webhooks.update(endpoint.id, { enabled: true });
      const again = dispatcherFor({ alerts: { to: undefined, from: 'x@shop.test' } });
      assert.equal(await again.drain(), 1);
      assert.deepEqual((await s.webhooks.show(endpoint.id)).deliveries, { delivered: 1 });
      await s.webhooks.remove(endpoint.id);
    });

    it('a hard bounce of order mail suppresses the address and is told as tx.bounced and bounce.hard', async () => {
      const s = t.services;
      hooks.received.length = 0;
      hooks.answer = () => 200;
      const endpoint = await s.webhooks.create({ url: hooks.url, events: 'tx.bounced,bounce.hard,tx.delivered' });
      const { id } = await s.tx.accept({
        to: 'gone@example.test',
        template: 'order',
        data: { order: { number: '9' } },
      });
      await until(async () => (await s.tx.status(id)).status === 'sent', 'the order mail');
      const row = await s.database.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      // The receiver's server bounces it later: a DSN to our VERP return path.
      const returnPath = /^Return-Path: <([^>]+)>/m.exec(txTo('gone@example.test')[0]?.raw ?? '')?.[1] ?? '';
      const dsn = [
        `From: MAILER-DAEMON@example.test`,
        `To: ${returnPath}`,
        'Subject: Undelivered Mail Returned to Sender',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.test',
        '',
        'Final-Recipient: rfc822; gone@example.test',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 <gone@example.test>: Recipient address rejected: User unknown',
        '',
        '--b',
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: ${row.message_id}`,
        '',
        '--b--',
        '',
      ].join('\r\n');
      // Whoever holds that order mail's return path cannot bounce somebody else with it: a report
      // naming another address through the same VERP address changes nothing.
      const forged = dsn
        .replaceAll('gone@example.test', 'victim@example.test')
        .replace(row.message_id, '<x@elsewhere.test>');
      await s.feedback.ingest(Buffer.from(forged), { channel: 'smtp', envelopeRecipients: [returnPath] });
      assert.equal(await findSuppression(s.database.db, suppressionHash('victim@example.test')), undefined);
      // Nor does it act on the order mail's own recipient: it names somebody else, so it is not trusted.
      assert.equal(await findSuppression(s.database.db, suppressionHash('gone@example.test')), undefined);
      const outcome = await s.feedback.ingest(Buffer.from(dsn), { channel: 'smtp', envelopeRecipients: [returnPath] });
      assert.equal(outcome.outcome, 'applied');
      assert.equal(
        (await s.tx.accept({ to: 'gone@example.test', template: 'password-reset', data: { link: 'x' } })).status,
        'suppressed',
      );
      const dispatcher = dispatcherFor({ alerts: { to: undefined, from: 'x@shop.test' } });
      await dispatcher.drain();
      const types = hooks.received.map(
        (r) => JSON.parse(r.body) as { type: string; data: { bounce?: string; to?: string } },
      );
      assert.deepEqual(types.map((b) => b.type).sort(), ['bounce.hard', 'tx.bounced', 'tx.delivered']);
      assert.deepEqual(
        [types.find((b) => b.type === 'tx.bounced')?.data.bounce, types.find((b) => b.type === 'tx.bounced')?.data.to],
        ['hard', 'gone@example.test'],
      );
      await s.webhooks.remove(endpoint.id);
    });
  });
}
