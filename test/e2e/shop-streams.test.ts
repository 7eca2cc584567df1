import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postJson, request } from '../helpers/http.js';
import {
  capturedMails,
  cli,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';
import { receivedUntil, signedWith, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const SHOPIFY_SECRET = 'shpss_0123456789abcdef0123456789abcdef';
const WOO_SECRET = 'woo-webhook-secret-42';

/** A Shopify delivery, signed and headed as Shopify's documentation describes it. */
function shopify(topic: string, body: unknown, options: { eventId?: string; at?: Date; secret?: string } = {}) {
  const raw = JSON.stringify(body);
  return {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': createHmac('sha256', options.secret ?? SHOPIFY_SECRET)
        .update(raw)
        .digest('base64'),
      'x-shopify-shop-domain': 'tulip-shop.myshopify.com',
      'x-shopify-api-version': '2026-10',
      'x-shopify-webhook-id': `wh-${Math.random().toString(36).slice(2)}`,
      'x-shopify-event-id': options.eventId ?? `ev-${Math.random().toString(36).slice(2)}`,
      'x-shopify-triggered-at': (options.at ?? new Date()).toISOString(),
    },
  };
}

/** A WooCommerce delivery, signed as WooCommerce does (base64 HMAC-SHA256 of the body). */
function woo(topic: string, body: unknown, deliveryId: string, secret = WOO_SECRET) {
  const raw = JSON.stringify(body);
  return {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-wc-webhook-source': 'https://tulip.example/',
      'x-wc-webhook-topic': topic,
      'x-wc-webhook-resource': 'customer',
      'x-wc-webhook-event': topic.split('.')[1] ?? '',
      'x-wc-webhook-signature': createHmac('sha256', secret).update(raw).digest('base64'),
      'x-wc-webhook-id': '7',
      'x-wc-webhook-delivery-id': deliveryId,
    },
  };
}

/** A Shopify customer; `updated_at` (in the signed body) is the time of this state. */
const customer = (id: number, email: string, consent: Record<string, unknown>, updatedAt = new Date()) => ({
  id,
  email,
  first_name: 'Anna',
  last_name: 'Berg',
  updated_at: updatedAt.toISOString(),
  email_marketing_consent: consent,
});
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

for (const dialect of DIALECTS) {
  describe(`shop streams through serve on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let hooks: WebhookReceiver;
    let key = '';
    const post = (path: string, delivery: { raw: string; headers: Record<string, string> }) =>
      request(`${server.url}${path}`, { method: 'POST', headers: delivery.headers, body: delivery.raw });
    const run = async (args: string[]) => {
      const result = await cli(instance, args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    const person = async (email: string) =>
      JSON.parse(await run(['subscribers', 'show', email, '--json'])) as {
        subscriptions: Array<{ list: string; status: string }>;
        events: Array<{ type: string; source: string | null; detail: Record<string, unknown> }>;
        suppressed: { reason: string } | null;
      };
    const confirmationsTo = async (email: string) =>
      (await capturedMails(instance.captureDir)).filter(
        (m) => m.to === email && /confirm/i.test(m.parsed.subject ?? ''),
      ).length;

    before(async () => {
      fresh = await dialect.fresh();
      hooks = await startWebhookReceiver();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test',
        // A webhook delivery whose process dies is claimed again after this lease.
        LISTWARDEN_OUTBOX_LEASE_SECONDS: '2',
      });
      await run(['lists', 'create', 'news', '--name', 'Tulip News', '--from', 'Tulip Shop <news@shop.test>']);
      await run(['settings', 'set', 'shopify.secret', SHOPIFY_SECRET]);
      await run(['settings', 'set', 'shopify.list', 'news']);
      await run(['settings', 'set', 'woocommerce.secret', WOO_SECRET]);
      await run(['settings', 'set', 'woocommerce.list', 'news']);
      await run(['settings', 'set', 'woocommerce.consent_field', 'newsletter_optin']);
      await run(['settings', 'set', 'tx.from', 'Tulip Shop <orders@shop.test>']);
      key = JSON.parse(await run(['apikeys', 'create', '--name', 'shop', '--json'])).key as string;
      const created = JSON.parse(
        await run([
          'webhooks',
          'create',
          '--url',
          hooks.url,
          '--events',
          'subscriber.confirmed,subscriber.unsubscribed,subscriber.erased',
          '--json',
        ]),
      ) as { id: number; secret: string };
      assert.match(created.secret, /^whsec_/);
      server = await startServer(instance);
    });
    after(async () => {
      await server?.stop();
      await hooks?.close();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('settings show the shop secrets as hidden, never their value', async () => {
      const shown = await run(['settings', 'get', 'shopify.secret', '--json']);
      assert.doesNotMatch(shown, new RegExp(SHOPIFY_SECRET));
      assert.match(shown, /\(hidden\)/);
      assert.doesNotMatch(await run(['settings', 'history', '--json']), new RegExp(SHOPIFY_SECRET));
    });

    it('Shopify: a ticked box starts double opt-in; a replay or a bad signature changes nothing', async () => {
      const delivery = shopify(
        'customers/create',
        customer(6940095564061, 'anna@example.test', {
          state: 'subscribed',
          opt_in_level: 'single_opt_in',
          consent_updated_at: null,
        }),
        { eventId: 'ev-anna-1' },
      );
      const answer = await post('/integrations/shopify', delivery);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json<{ status: string }>().status, 'applied');
      await waitForMails(instance.captureDir, 'anna@example.test');
      assert.equal(await confirmationsTo('anna@example.test'), 1);
      const anna = await person('anna@example.test');
      assert.equal(anna.subscriptions[0]?.status, 'pending');
      assert.match(
        anna.events[0]?.source ?? '',
        /Shopify checkout \(tulip-shop\.myshopify\.com, customer 6940095564061\)/,
      );
      // The same event again (Shopify retries; an attacker replays it under fresh, unsigned
      // headers: another event id, another time): nothing more.
      for (const headers of [
        delivery.headers,
        { ...delivery.headers, 'x-shopify-event-id': 'ev-fresh', 'x-shopify-triggered-at': new Date().toISOString() },
      ]) {
        const replay = await post('/integrations/shopify', { ...delivery, headers });
        assert.equal(replay.status, 200);
        assert.equal(replay.json<{ status: string }>().status, 'duplicate');
      }
      // An address that cannot receive mail is answered (the shop would retry for days), not applied.
      const bad = await post(
        '/integrations/shopify',
        shopify(
          'customers/create',
          customer(77, 'x@localhost', { state: 'subscribed', opt_in_level: 'single_opt_in' }),
        ),
      );
      assert.equal(bad.status, 200, bad.text);
      assert.equal(bad.json<{ status: string }>().status, 'ignored');
      // Signed with another secret, or the body changed after signing: 401, nothing done.
      const forged = shopify(
        'customers/create',
        customer(1, 'mallory@example.test', { state: 'subscribed', opt_in_level: 'single_opt_in' }),
        { secret: 'not-the-app-secret' },
      );
      assert.equal((await post('/integrations/shopify', forged)).status, 401);
      const tampered = {
        ...delivery,
        raw: delivery.raw.replace('anna@', 'mallory@'),
        headers: { ...delivery.headers, 'x-shopify-event-id': 'ev-new' },
      };
      const refused = await post('/integrations/shopify', tampered);
      assert.equal(refused.status, 401);
      assert.match(refused.text, /signature does not match/);
      // Signed, but the customer's state is four days old: outside the window.
      const stale = shopify(
        'customers/update',
        customer(2, 'old@example.test', { state: 'subscribed', opt_in_level: 'single_opt_in' }, minutesAgo(4 * 1440)),
      );
      assert.equal((await post('/integrations/shopify', stale)).status, 401);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await confirmationsTo('anna@example.test'), 1);
      assert.equal((await cli(instance, ['subscribers', 'show', 'mallory@example.test'])).code, 1);
      assert.equal((await cli(instance, ['subscribers', 'show', 'old@example.test'])).code, 1);
    });

    it("Shopify: a confirmed opt-in is recorded with Shopify's proof; unsubscribed leaves; the shop hears of both", async () => {
      const confirmedAt = '2026-11-29T10:00:00-05:00';
      const answer = await post(
        '/integrations/shopify',
        shopify(
          'customers/update',
          customer(
            6940095564062,
            'bert@example.test',
            { state: 'subscribed', opt_in_level: 'confirmed_opt_in', consent_updated_at: confirmedAt },
            minutesAgo(30),
          ),
        ),
      );
      assert.equal(answer.status, 200, answer.text);
      const bert = await person('bert@example.test');
      assert.equal(bert.subscriptions[0]?.status, 'confirmed');
      assert.deepEqual(bert.events[0]?.detail, {
        channel: 'shopify',
        customerId: '6940095564062',
        optInLevel: 'confirmed_opt_in',
        consentUpdatedAt: '2026-11-29T15:00:00.000Z',
        previousStatus: null,
      });
      assert.equal(await confirmationsTo('bert@example.test'), 0, 'no mail: Shopify confirmed it');
      const proof = await run(['consent', 'proof', 'bert@example.test', '--list', 'news']);
      assert.match(proof, /confirmed_opt_in/);
      const left = await post(
        '/integrations/shopify',
        shopify(
          'customers/update',
          customer(
            6940095564062,
            'bert@example.test',
            {
              state: 'unsubscribed',
              opt_in_level: 'confirmed_opt_in',
              consent_updated_at: minutesAgo(20).toISOString(),
            },
            minutesAgo(20),
          ),
        ),
      );
      assert.equal(left.json<{ action: string }>().action, 'unsubscribed');
      assert.equal((await person('bert@example.test')).subscriptions[0]?.status, 'unsubscribed');
      // An older state of Bert, signed but late (or replayed under another body), changes nothing
      // (the same time is allowed: WooCommerce's times have whole seconds).
      const older = await post(
        '/integrations/shopify',
        shopify(
          'customers/update',
          customer(
            6940095564062,
            'bert@example.test',
            { state: 'subscribed', opt_in_level: 'confirmed_opt_in', consent_updated_at: confirmedAt },
            minutesAgo(25),
          ),
        ),
      );
      assert.equal(older.json<{ status: string }>().status, 'ignored');
      assert.equal((await person('bert@example.test')).subscriptions[0]?.status, 'unsubscribed');
      const { secret } = { secret: (await run(['webhooks', 'secret', '1'])).trim() };
      await receivedUntil(hooks, (got) => got.filter((r) => r.body.includes('bert@example.test')).length >= 2);
      const bertEvents = hooks.received.filter((r) => r.body.includes('bert@example.test'));
      assert.deepEqual(
        bertEvents.map((r) => (JSON.parse(r.body) as { type: string }).type),
        ['subscriber.confirmed', 'subscriber.unsubscribed'],
      );
      for (const r of bertEvents) assert.ok(signedWith(secret, r));
      // Shopify's word does not bring back someone who left: a newer confirmed opt-in gets our confirmation mail.
      const back = await post(
        '/integrations/shopify',
        shopify(
          'customers/update',
          customer(6940095564062, 'bert@example.test', {
            state: 'subscribed',
            opt_in_level: 'confirmed_opt_in',
            consent_updated_at: new Date().toISOString(),
          }),
        ),
      );
      assert.match(back.json<{ action: string }>().action, /^double opt-in: pending, confirmation mail queued/);
      assert.equal((await person('bert@example.test')).subscriptions[0]?.status, 'pending');
      await waitForMails(instance.captureDir, 'bert@example.test');
    });

    it('Shopify privacy webhooks: customers/redact erases, customers/data_request mails the export to the owner', async () => {
      const request1 = await post(
        '/integrations/shopify',
        shopify('customers/data_request', {
          shop_id: 954889,
          shop_domain: 'tulip-shop.myshopify.com',
          orders_requested: [],
          customer: { id: 6940095564061, email: 'anna@example.test', phone: null },
          data_request: { id: 9999 },
        }),
      );
      assert.equal(request1.status, 200, request1.text);
      const exportMail = (await waitForMails(instance.captureDir, 'owner@shop.test')).filter((m) =>
        /data request/.test(m.parsed.subject ?? ''),
      );
      assert.match(exportMail[0]?.parsed.text ?? '', /"email": "anna@example.test"/);
      const redact = await post(
        '/integrations/shopify',
        shopify('customers/redact', {
          shop_id: 954889,
          shop_domain: 'tulip-shop.myshopify.com',
          customer: { id: 6940095564061, email: 'anna@example.test', phone: null },
          orders_to_redact: [],
        }),
      );
      assert.equal(redact.json<{ action: string }>().action, 'erased');
      // A data request's signed body sent as a redact (the topic header is not signed) is refused.
      const swapped = shopify('customers/redact', {
        shop_id: 954889,
        shop_domain: 'tulip-shop.myshopify.com',
        orders_requested: [],
        customer: { id: 6940095564099, email: 'someone@example.test', phone: null },
        data_request: { id: 10000 },
      });
      assert.equal((await post('/integrations/shopify', swapped)).status, 400);
      assert.equal((await cli(instance, ['subscribers', 'show', 'anna@example.test'])).code, 1);
      await receivedUntil(hooks, (got) => got.some((r) => r.body.includes('subscriber.erased')));
      assert.ok(
        hooks.received.some(
          (r) => JSON.parse(r.body).type === 'subscriber.erased' && r.body.includes('anna@example.test'),
        ),
      );
    });

    it('WooCommerce: the ping on save is answered; the consent field starts double opt-in; replays and bad signatures do nothing', async () => {
      const ping = await request(`${server.url}/integrations/woocommerce`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'webhook_id=7',
      });
      assert.equal(ping.status, 200);
      const body = {
        id: 25,
        email: 'carl@example.test',
        first_name: 'Carl',
        last_name: 'Doe',
        date_created_gmt: new Date().toISOString().slice(0, 19),
        date_modified_gmt: new Date().toISOString().slice(0, 19),
        meta_data: [{ id: 1, key: 'newsletter_optin', value: 'yes' }],
      };
      const delivery = woo('customer.created', body, 'd-carl-1');
      const answer = await post('/integrations/woocommerce', delivery);
      assert.equal(answer.status, 200, answer.text);
      assert.equal((await person('carl@example.test')).subscriptions[0]?.status, 'pending');
      assert.equal((await post('/integrations/woocommerce', delivery)).json<{ status: string }>().status, 'duplicate');
      // The body replayed under a fresh, unsigned delivery id: still a duplicate.
      const renamed = { ...delivery, headers: { ...delivery.headers, 'x-wc-webhook-delivery-id': 'attacker-1' } };
      assert.equal((await post('/integrations/woocommerce', renamed)).json<{ status: string }>().status, 'duplicate');
      // Two customers sent in one second share a delivery id (WooCommerce hashes the id and the second): both count.
      const dora = await post(
        '/integrations/woocommerce',
        woo('customer.created', { ...body, id: 26, email: 'dora.w@example.test' }, 'd-carl-1'),
      );
      assert.equal(dora.json<{ status: string }>().status, 'applied');
      assert.equal(
        (
          await post(
            '/integrations/woocommerce',
            woo('customer.created', { ...body, email: 'eve@example.test' }, 'd-eve', 'wrong'),
          )
        ).status,
        401,
      );
      const old = { ...body, email: 'older@example.test', date_modified_gmt: '2026-01-01T00:00:00' };
      assert.equal((await post('/integrations/woocommerce', woo('customer.updated', old, 'd-old'))).status, 401);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await confirmationsTo('carl@example.test'), 1);
      assert.equal((await cli(instance, ['subscribers', 'show', 'eve@example.test'])).code, 1);
      // The box unticked in the customer's account: they leave the list.
      const unticked = await post(
        '/integrations/woocommerce',
        woo('customer.updated', { ...body, meta_data: [{ key: 'newsletter_optin', value: 'no' }] }, 'd-carl-2'),
      );
      assert.equal(unticked.json<{ action: string }>().action, 'unsubscribed');
    });

    it('POST /api/v1/tx with a stored template; templates from the CLI; bad input is a sentence', async () => {
      const html = join(instance.dir, 'shipped.html');
      writeFileSync(html, '<p>{{ name }}, your order {{ order }} is on its way.</p>');
      await run(['templates', 'create', 'shipped', '--subject', 'Order {{ order }} shipped', '--html', html]);
      assert.match(await run(['templates', 'list']), /shipped/);
      const auth = { authorization: `Bearer ${key}` };
      const sent = await postJson(
        `${server.url}/api/v1/tx`,
        { to: 'dora@example.test', template: 'shipped', data: { name: 'Dora', order: 'A-17' } },
        auth,
      );
      assert.equal(sent.status, 202, sent.text);
      const { id } = sent.json<{ id: number }>();
      const mail = await waitForMails(instance.captureDir, 'dora@example.test');
      assert.equal(mail[0]?.parsed.subject, 'Order A-17 shipped');
      assert.equal(
        (await request(`${server.url}/api/v1/tx/${id}`, { headers: auth })).json<{ status: string }>().status,
        'sent',
      );
      const unknown = await postJson(`${server.url}/api/v1/tx`, { to: 'dora@example.test', template: 'nope' }, auth);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json<{ message: string }>().message, 'There is no template "nope".');
      const badTo = await postJson(`${server.url}/api/v1/tx`, { to: 'not an address', subject: 'x', text: 'y' }, auth);
      assert.equal(badTo.status, 400);
      const files = await postJson(
        `${server.url}/api/v1/tx`,
        { to: 'dora@example.test', subject: 'x', text: 'y', attachments: [{ filename: 'a.exe', content: 'TVo=' }] },
        auth,
      );
      assert.equal(files.status, 400);
      assert.match(files.text, /is a program/);
      assert.equal(
        (await postJson(`${server.url}/api/v1/tx`, { to: 'dora@example.test', subject: 'x', text: 'y' })).status,
        401,
      );
      const include = join(instance.dir, 'evil.html');
      writeFileSync(include, '{% include "/etc/passwd" %}');
      const refused = await cli(instance, ['templates', 'create', 'evil', '--subject', 'x', '--html', include]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /cannot read files/);
    });

    it('a server killed mid-delivery loses no event: after a restart the webhook arrives, with the same id', async () => {
      hooks.received.length = 0;
      // The receiver holds the first request open: the server is killed while it waits.
      hooks.answer = (_r, n) => (n === 1 ? 'hang' : 200);
      const delivery = shopify(
        'customers/update',
        customer(6940095564070, 'kim@example.test', {
          state: 'subscribed',
          opt_in_level: 'confirmed_opt_in',
          consent_updated_at: new Date().toISOString(),
        }),
      );
      assert.equal((await post('/integrations/shopify', delivery)).status, 200);
      await receivedUntil(hooks, (got) => got.length > 0);
      assert.equal(hooks.received.length, 1, 'the first try reached the receiver');
      server.process.kill('SIGKILL');
      await new Promise((resolve) => server.process.once('exit', resolve));
      server = await startServer(instance);
      await receivedUntil(hooks, (got) => got.length >= 2, 20_000);
      assert.equal(hooks.received.length, 2, 'delivered again after the lease ran out');
      assert.equal(hooks.received[1]?.headers['webhook-id'], hooks.received[0]?.headers['webhook-id']);
      assert.equal(JSON.parse(hooks.received[1]?.body ?? '{}').data.email, 'kim@example.test');
      const shown = JSON.parse(await run(['webhooks', 'show', '1', '--json'])) as {
        deliveries: Record<string, number>;
      };
      assert.equal(shown.deliveries.queued ?? 0, 0);
      assert.equal(shown.deliveries.sending ?? 0, 0);
    });
  });
}
