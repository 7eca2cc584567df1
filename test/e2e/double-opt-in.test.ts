import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTokenCodec } from '../../src/consent/tokens.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { dnsmasqSkip, startDnsmasq, type DnsServer } from '../helpers/dnsmasq.js';
import { postForm, postJson, request, visibleText } from '../helpers/http.js';
import {
  capturedMails,
  cli,
  confirmLink,
  newInstance,
  startServer,
  TEST_SECRET,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const SHOP_PAGE = 'https://shop.test/newsletter';

let adminKey = '';

/** The subscriber as the admin API shows it (the CLI's `subscribers show --json` gives the same view). */
async function show(server: RunningServer, email: string) {
  const result = await request(`${server.url}/api/v1/subscribers/${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  assert.equal(result.status, 200, result.text);
  return result.json() as {
    id: number;
    subscriptions: Array<{ list: string; status: string }>;
    events: Array<{
      type: string;
      ip: string | null;
      userAgent: string | null;
      source: string | null;
      detail: Record<string, unknown>;
    }>;
  };
}

for (const dialect of DIALECTS) {
  describe(`double opt-in end to end on ${dialect.name}`, { skip: dialect.skip || dnsmasqSkip }, () => {
    let dns: DnsServer;
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let db: Database;

    before(async () => {
      dns = await startDnsmasq();
      fresh = await dialect.fresh();
      // The per-IP signup limit is tested in api-and-abuse; here one IP makes many signups on both routes.
      instance = newInstance(fresh.url, {
        LISTWARDEN_DNS_SERVERS: dns.address,
        LISTWARDEN_SIGNUP_RATE_LIMIT: '1000/minute',
      });
      const created = await cli(instance, [
        'lists',
        'create',
        'news',
        '--name',
        'Shop News',
        '--from',
        'Shop News <news@shop.test>',
        '--consent-text',
        'Yes, send me the Shop News offers by email.',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const key = await cli(instance, ['apikeys', 'create', '--name', 'tests', '--json']);
      assert.equal(key.code, 0, key.stderr);
      adminKey = JSON.parse(key.stdout).key;
      server = await startServer(instance, { LISTWARDEN_DNS_TIMEOUT_MS: '400' });
      db = openDatabase(fresh.url);
    });

    after(async () => {
      await server?.stop();
      await db?.close();
      await fresh?.drop();
      await dns?.stop();
      instance?.cleanup();
    });

    it('signup → mail captured → GET does not confirm → POST confirms → proof printed', async () => {
      const form = await request(`${server.url}/s/news`);
      assert.equal(form.status, 200);
      assert.match(form.text, /<label for="lw-email">Email address<\/label>/);
      assert.match(form.text, /Yes, send me the Shop News offers by email\./);

      const submitted = await postForm(
        `${server.url}/s/news`,
        { email: 'Olivia@Example.test', name: 'Olivia', website: '', consent_version: '1' },
        { 'user-agent': UA, referer: SHOP_PAGE },
      );
      assert.equal(submitted.status, 200);
      assert.match(visibleText(submitted.text), /Check your inbox/);

      const [mail] = await waitForMails(instance.captureDir, 'Olivia@example.test');
      assert.match(mail!.returnPath, /^bounces\+[a-z2-7]{26}@shop\.test$/, 'a VERP return path names the outbox row');
      assert.match(mail!.raw, /^Return-Path: <bounces\+[a-z2-7]{26}@shop\.test>\r\n/);
      assert.equal(mail!.parsed.subject, 'Please confirm your subscription to Shop News');
      assert.ok(mail!.parsed.html && mail!.parsed.text, 'text and HTML parts');
      assert.doesNotMatch(mail!.parsed.text ?? '', /unsubscribe/i, 'no marketing content');
      const link = confirmLink(mail!);
      assert.ok(link.startsWith(`${server.url}/c/`));

      const page = await request(link, { headers: { 'user-agent': 'LinkScanner/1.0' } });
      assert.equal(page.status, 200);
      assert.match(page.text, /<form method="post"/);
      assert.equal(
        (await show(server, 'olivia@example.test')).subscriptions[0]!.status,
        'pending',
        'GET changed nothing',
      );

      // A browser that ignores the page's no-referrer policy sends the token page as its Referer.
      const confirmed = await postForm(link, {}, { 'user-agent': UA, referer: link });
      assert.equal(confirmed.status, 200);
      assert.match(visibleText(confirmed.text), /You are subscribed/);
      const again = await postForm(link, {}, { 'user-agent': UA });
      assert.equal(again.status, 200, 'confirming twice is fine');

      const view = await show(server, 'olivia@example.test');
      assert.equal(view.subscriptions[0]!.status, 'confirmed');
      assert.deepEqual(
        view.events.map((e) => e.type),
        ['signup', 'confirmation_sent', 'confirmed'],
      );
      const signup = view.events[0]!;
      assert.equal(signup.ip, '127.0.0.1');
      assert.equal(signup.userAgent, UA);
      assert.equal(signup.source, SHOP_PAGE);
      assert.equal(view.events[2]!.userAgent, UA);

      const proof = await cli(instance, ['consent', 'proof', 'olivia@example.test', '--list', 'news']);
      assert.equal(proof.code, 0, proof.stderr);
      assert.match(proof.stdout, /PROOF OF CONSENT/);
      assert.match(proof.stdout, /Address: +Olivia@example\.test/);
      assert.match(
        proof.stdout,
        /Signed up\n +from IP: +127\.0\.0\.1\n +browser: +Mozilla\/5\.0 \(X11; Linux x86_64\) Firefox\/140\.0\n +source: +https:\/\/shop\.test\/newsletter/,
      );
      assert.match(
        proof.stdout,
        /wording shown \(version 1, language en\):\n +"Yes, send me the Shop News offers by email\."/,
      );
      assert.match(proof.stdout, /Confirmation mail sent/);
      assert.match(proof.stdout, /Confirmed\n +from IP: +127\.0\.0\.1/);
      const proofJson = JSON.parse(
        (await cli(instance, ['consent', 'proof', 'olivia@example.test', '--list', 'news', '--json'])).stdout,
      );
      assert.equal(proofJson.status, 'confirmed');
      const token = link.slice(link.lastIndexOf('/') + 1);
      assert.ok(
        !proof.stdout.includes(token) && !JSON.stringify(proofJson).includes(token),
        'no live token in the proof',
      );
      assert.equal(proofJson.events[2].source, `${server.url}/c/[link]`);
      const exported = await cli(instance, ['subscribers', 'export', 'olivia@example.test']);
      assert.ok(!exported.stdout.includes(token), 'no live token in the export');
    });

    it('refuses forged, tampered and expired tokens; an expired one offers a fresh mail', async () => {
      await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'pete@example.test' });
      const [mail] = await waitForMails(instance.captureDir, 'pete@example.test');
      const link = confirmLink(mail!);
      const token = link.slice(link.lastIndexOf('/') + 1);

      const forged = await request(`${server.url}/c/${'A'.repeat(43)}`);
      assert.equal(forged.status, 404);
      assert.match(visibleText(forged.text), /This link does not work/);
      const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
      const tampered = await postForm(`${server.url}/c/${flipped}`, {});
      assert.equal(tampered.status, 404);
      assert.equal((await request(`${server.url}/c/short`)).status, 404);
      assert.equal((await show(server, 'pete@example.test')).subscriptions[0]!.status, 'pending');

      const pete = await show(server, 'pete@example.test');
      const list = await db.db.selectFrom('lists').select('id').where('slug', '=', 'news').executeTakeFirstOrThrow();
      const expired = createTokenCodec([TEST_SECRET]).sign('confirm', pete.id, list.id, Date.now() - 8 * 86_400_000);
      const expiredPage = await request(`${server.url}/c/${expired}`);
      assert.equal(expiredPage.status, 410);
      assert.match(visibleText(expiredPage.text), /expired/);
      assert.match(expiredPage.text, new RegExp(`action="${server.url}/c/${expired}/resend"`));
      assert.equal((await postForm(`${server.url}/c/${expired}`, {})).status, 410, 'an expired link does not confirm');
      assert.equal((await show(server, 'pete@example.test')).subscriptions[0]!.status, 'pending');

      // Within 10 minutes of the last mail, a resend is answered but nothing is sent.
      assert.equal((await postForm(`${server.url}/c/${expired}/resend`, {})).status, 200);
      await db.db
        .updateTable('outbox')
        .set({ created_at: Date.now() - 11 * 60_000 })
        .where('subscriber_id', '=', pete.id)
        .execute();
      const resent = await postForm(`${server.url}/c/${expired}/resend`, {});
      assert.equal(resent.status, 200);
      const mails = await waitForMails(instance.captureDir, 'pete@example.test', 2);
      assert.equal(mails.length, 2);
      assert.notEqual(mails[1]!.parsed.messageId, mails[0]!.parsed.messageId, 'a new message');
      const fresh = confirmLink(mails[1]!);
      assert.equal((await postForm(fresh, {})).status, 200);
      assert.equal((await show(server, 'pete@example.test')).subscriptions[0]!.status, 'confirmed');
    });

    it('rejects invalid addresses and domains that cannot receive mail, with a sentence', async () => {
      const api = `${server.url}/api/v1/public/lists/news/subscribe`;
      const cases: Array<[string, RegExp]> = [
        ['plainaddress', /needs an @/],
        ['a@b@example.test', /only one @/],
        [`${'x'.repeat(65)}@example.test`, /longer than 64/],
        ['someone@nowhere.test', /does not exist/],
        ['someone@nomail.test', /no mail server/],
        ['someone@nullmx.test', /does not accept email/],
      ];
      for (const [email, message] of cases) {
        const r = await postJson(api, { email });
        assert.equal(r.status, 400, email);
        assert.equal(r.json().error, 'invalid_input');
        assert.match(String(r.json().message), message);
      }
      assert.equal((await postJson(api, { email: 'ok@aonly.test' })).status, 202, 'an A record is an implicit MX');
      assert.equal((await postJson(api, { email: 'ok@v6only.test' })).status, 202);
      const form = await postForm(`${server.url}/s/news`, { email: '<script>alert(1)</script>@x' });
      assert.equal(form.status, 400);
      assert.doesNotMatch(form.text, /<script>alert/);
      assert.match(form.text, /&lt;script&gt;/);
      assert.match(form.text, /role="alert"/);
      const none = await db.db
        .selectFrom('subscribers')
        .select('email')
        .where('email', 'like', '%nowhere.test')
        .execute();
      assert.equal(none.length, 0);
    });

    it('accepts and notes a signup when DNS cannot answer', async () => {
      const r = await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'slow@blackhole.test' });
      assert.equal(r.status, 202);
      const view = await show(server, 'slow@blackhole.test');
      assert.match(String(view.events[0]!.detail.domainCheck), /^unverified: .*ETIMEOUT/);
    });

    it('answers identically for new, pending and confirmed addresses', async () => {
      const api = `${server.url}/api/v1/public/lists/news/subscribe`;
      const answers = [];
      for (const email of ['brand-new@example.test', 'pete@example.test', 'olivia@example.test']) {
        const r = await postJson(api, { email });
        answers.push({ status: r.status, body: r.text, type: r.headers.get('content-type') });
      }
      assert.deepEqual(answers[0], {
        status: 202,
        body: '{"status":"pending"}',
        type: 'application/json; charset=utf-8',
      });
      assert.deepEqual(answers[1], answers[0]);
      assert.deepEqual(answers[2], answers[0]);
      const pages = [];
      for (const email of ['another-new@example.test', 'brand-new@example.test', 'olivia@example.test']) {
        const r = await postForm(`${server.url}/s/news`, { email });
        pages.push({ status: r.status, body: r.text });
      }
      assert.deepEqual(pages[1], pages[0]);
      assert.deepEqual(pages[2], pages[0]);
      assert.equal(
        (await show(server, 'olivia@example.test')).subscriptions[0]!.status,
        'confirmed',
        'a confirmed subscriber stays confirmed',
      );
    });

    it('sends at most one confirmation per address and list per 10 minutes', async () => {
      for (let i = 0; i < 4; i++)
        assert.equal(
          (await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'victim@example.test' })).status,
          202,
        );
      await waitForMails(instance.captureDir, 'victim@example.test');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await capturedMails(instance.captureDir)).filter((m) => m.to === 'victim@example.test').length, 1);
      const view = await show(server, 'victim@example.test');
      assert.deepEqual(
        view.events.filter((e) => e.type === 'signup').map((e) => e.detail.confirmationMail),
        ['queued', 'too_soon', 'too_soon', 'too_soon'],
      );
    });

    it('ignores a bot that fills the honeypot, and suggests a fix for a typo', async () => {
      const bot = await postForm(`${server.url}/s/news`, { email: 'bot@example.test', website: 'http://spam.test' });
      assert.equal(bot.status, 200);
      assert.match(visibleText(bot.text), /Check your inbox/);
      const missing = await cli(instance, ['subscribers', 'show', 'bot@example.test']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, 'listwarden: There is no subscriber bot@example.test.\n');

      const typo = await postForm(`${server.url}/s/news`, { email: 'jane@gmial.com', name: 'Jane' });
      assert.equal(typo.status, 200);
      assert.match(visibleText(typo.text), /Did you mean jane@gmail\.com ?\?/);
      assert.match(typo.text, /name="choice" value="suggested"/);
      const before = await request(`${server.url}/api/v1/subscribers/jane@gmial.com`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      assert.equal(before.status, 404, 'nothing stored before the choice');
      const chosen = await postForm(`${server.url}/s/news`, {
        email: 'jane@gmial.com',
        suggested_email: 'jane@gmail.com',
        name: 'Jane',
        choice: 'suggested',
      });
      assert.equal(chosen.status, 200);
      assert.equal((await show(server, 'jane@gmail.com')).subscriptions[0]!.status, 'pending');
    });

    it('imports a CSV, reporting bad rows with their line numbers', async () => {
      const file = join(instance.dir, 'customers.csv');
      writeFileSync(
        file,
        'email,name,city\nquinn@example.test,Quinn,Delft\nbroken-address,Rob,Leiden\nruth@example.test,Ruth\nsam@example.test,Sam,Gouda\n',
      );
      const result = await cli(instance, [
        'import',
        file,
        '--list',
        'news',
        '--source',
        'Shop checkout opt-in box 2025',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /line 3: An email address needs an @/);
      assert.match(result.stderr, /line 4: expected 3 columns, found 2/);
      assert.match(
        result.stdout,
        /Read 4 rows: 2 imported, 0 already on the list, 0 suppressed, 2 skipped as invalid \(comma-separated\)\./,
      );
      const quinn = await show(server, 'quinn@example.test');
      assert.equal(quinn.subscriptions[0]!.status, 'pending');
      assert.equal(quinn.events[0]!.type, 'imported');
      assert.equal(quinn.events[0]!.source, 'Shop checkout opt-in box 2025');
      await waitForMails(instance.captureDir, 'quinn@example.test');
      const missing = await cli(instance, [
        'import',
        join(instance.dir, 'nope.csv'),
        '--list',
        'news',
        '--source',
        'x files',
      ]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^listwarden: Cannot read .*nope\.csv\.\n$/);
    });

    it('erase leaves only the suppression hash', async () => {
      const erased = await cli(instance, ['subscribers', 'erase', 'olivia@example.test', '--json']);
      assert.equal(erased.code, 0, erased.stderr);
      const { suppressionHash } = JSON.parse(erased.stdout);
      const subscribers = await db.db.selectFrom('subscribers').select('email').execute();
      assert.ok(!subscribers.some((s) => /olivia/i.test(s.email)));
      const events = JSON.stringify(await db.db.selectFrom('consent_events').selectAll().execute());
      assert.doesNotMatch(events, /olivia|Firefox\/140/i);
      const suppression = await db.db
        .selectFrom('suppressions')
        .selectAll()
        .where('email_hash', '=', suppressionHash)
        .executeTakeFirst();
      assert.equal(suppression?.reason, 'erased');
      assert.equal(
        (await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'olivia@example.test' })).status,
        202,
      );
      await new Promise((r) => setTimeout(r, 1200));
      const toOlivia = (await capturedMails(instance.captureDir)).filter((m) => /olivia/i.test(m.to));
      assert.equal(toOlivia.length, 0, 'the captured confirmation went with the erasure, and nothing came after it');
    });

    it('stops cleanly on SIGTERM', async () => {
      const code = await server.stop();
      assert.equal(code, 0);
      assert.match(server.logs(), /"msg":"stopped"/);
      assert.doesNotMatch(server.logs(), /\/c\/[A-Za-z0-9_-]{43}/, 'no token in the logs');
      assert.doesNotMatch(server.logs(), new RegExp(TEST_SECRET));
    });
  });
}
