import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { suppressionHash } from '../../src/consent/suppression-key.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { dnsmasqSkip, startDnsmasq, txtRecord, type DnsServer } from '../helpers/dnsmasq.js';
import { postJson, request } from '../helpers/http.js';
import {
  capturedMails,
  cli,
  headerValue,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';
import { freeTcpPort } from '../helpers/ports.js';

const POSTAL = 'Shop BV, Keizersgracht 1, 1015 CJ Amsterdam';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const HTML =
  '<html><body><h1>Hello {{ subscriber.name }}</h1><p>Winter sale in {{ subscriber.city }}.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>';

for (const dialect of DIALECTS) {
  describe(`campaigns end to end on ${dialect.name}`, { skip: dialect.skip || dnsmasqSkip }, () => {
    let dns: DnsServer;
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let db: Database;
    let htmlFile = '';
    let key = '';

    const campaignsCli = (args: string[], env: Record<string, string> = {}) =>
      cli({ ...instance, env: { ...instance.env, LISTWARDEN_PUBLIC_URL: server.url, ...env } }, ['campaigns', ...args]);

    /** The admin API, for steps whose CLI form is covered elsewhere in this file (faster). */
    async function api(path: string, body?: unknown) {
      const init: RequestInit =
        body === undefined
          ? { method: path.endsWith('/status') ? 'GET' : 'POST', headers: { authorization: `Bearer ${key}` } }
          : {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            };
      return request(`${server.url}/api/v1/campaigns${path.replace(/\/status$/, '')}`, init);
    }

    async function createCampaign(list: string, html = HTML, layout?: 'none'): Promise<number> {
      const created = await api('', { list, subject: 'Winter sale for {{ subscriber.name }}', html, layout });
      assert.equal(created.status, 201, created.text);
      return created.json<{ id: number }>().id;
    }

    async function status(id: number) {
      const r = await api(`/${id}/status`);
      assert.equal(r.status, 200, r.text);
      return r.json<Record<string, any>>();
    }

    before(async () => {
      dns = await startDnsmasq([
        txtRecord(
          'lw1._domainkey.shop.test',
          `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
        ),
        txtRecord(
          'lw2._domainkey.shop.test',
          `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`,
        ),
      ]);
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false', LISTWARDEN_POSTAL_ADDRESS: POSTAL });
      writeFileSync(join(instance.dir, 'rsa.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync(join(instance.dir, 'ed.pem'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      assert.equal((await cli(instance, ['init'])).code, 0);
      for (const [selector, file] of [
        ['lw1', 'rsa.pem'],
        ['lw2', 'ed.pem'],
      ] as const) {
        const args = ['dkim', 'import', '--domain', 'shop.test', '--selector', selector];
        const imported = await cli(instance, [...args, '--key-file', join(instance.dir, file)]);
        assert.equal(imported.code, 0, imported.stderr);
      }
      for (const slug of ['news', 'empty']) {
        assert.equal(
          (
            await cli(instance, [
              'lists',
              'create',
              slug,
              '--name',
              `Shop ${slug}`,
              '--from',
              `Shop <${slug}@shop.test>`,
            ])
          ).code,
          0,
        );
      }
      const csv = join(instance.dir, 'people.csv');
      writeFileSync(
        csv,
        'email,name,city,confirmed_at,confirm_ip\nann@example.test,Ann,Delft,2025-01-01T00:00:00Z,192.0.2.1\nbob@example.test,Bob,Gouda,2025-01-01T00:00:00Z,192.0.2.2\ncarl@example.test,Carl,Breda,2025-01-01T00:00:00Z,192.0.2.3\n',
      );
      assert.equal(
        (await cli(instance, ['import', csv, '--list', 'news', '--source', 'test fixture', '--with-proof'])).code,
        0,
      );
      htmlFile = join(instance.dir, 'sale.html');
      writeFileSync(htmlFile, HTML);
      key = JSON.parse((await cli(instance, ['apikeys', 'create', '--name', 'tests', '--json'])).stdout).key;
      server = await startServer(instance);
      db = openDatabase(fresh.url);
      // A complaint or a global opt-out suppresses Carl although his subscription says confirmed.
      await db.db
        .insertInto('suppressions')
        .values({ email_hash: suppressionHash('carl@example.test'), reason: 'complaint', created_at: Date.now() })
        .execute();
      // Dora signed up but never confirmed.
      assert.equal(
        (await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'dora@example.test' })).status,
        202,
      );
    });

    after(async () => {
      await server?.stop();
      await db?.close();
      await fresh?.drop();
      await dns?.stop();
      instance?.cleanup();
    });

    it('refuses, with one sentence each, what cannot go out with a working opt-out', async () => {
      const refused = async (id: number, pattern: RegExp, env: Record<string, string> = {}) => {
        const r = await campaignsCli(['send', String(id)], env);
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, pattern);
        assert.equal(r.stderr.trim().split('\n').length, 1);
      };
      // Without our layout (which carries the footer), the body itself must hold the opt-out.
      await refused(await createCampaign('news', '<p>Buy now!</p>', 'none'), /no \{\{ unsubscribe_url \}\}/);
      const good = await createCampaign('news');
      const viaApi = await api(`/${await createCampaign('empty')}/send`);
      assert.equal(viaApi.status, 409);
      assert.match(String(viaApi.json().message), /"empty" has no confirmed subscribers/);
      await refused(good, /postal_address setting is empty/, { LISTWARDEN_POSTAL_ADDRESS: '' });
      await refused(good, /cannot be signed: the DKIM key lw1\._domainkey\.shop\.test cannot be opened/, {
        LISTWARDEN_SECRET: 'another-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
      });
      const otherList = ['lists', 'create', 'elsewhere', '--name', 'Elsewhere', '--from', 'news@other.test'];
      assert.equal((await cli(instance, otherList)).code, 0);
      await refused(await createCampaign('elsewhere'), /No DKIM key signs mail from other\.test.*--force/);
      const closed = await freeTcpPort();
      await refused(good, /opt-out self-test failed: the one-click POST/, {
        LISTWARDEN_PUBLIC_URL: `http://127.0.0.1:${closed}`,
      });
      const after = await status(good);
      assert.equal(after.status, 'draft');
      assert.equal(after.total, 0, 'nothing was queued');
      assert.equal(after.selfTest.ok, false);
      const synthetic = await db.db
        .selectFrom('subscribers')
        .select('email')
        .where('email', 'like', 'selftest-%')
        .execute();
      assert.deepEqual(synthetic, [], 'the synthetic subscriber is gone');
    });

    it('sends only to confirmed, unsuppressed subscribers, each with working one-click headers', async () => {
      const created = await campaignsCli([
        'create',
        '--list',
        'news',
        '--subject',
        'Winter sale for {{ subscriber.name }}',
        '--html',
        htmlFile,
        '--json',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const id = JSON.parse(created.stdout).id as number;
      const sent = await campaignsCli(['send', String(id), '--json']);
      assert.equal(sent.code, 0, sent.stderr);
      const view = JSON.parse(sent.stdout);
      assert.equal(view.status, 'running');
      assert.equal(view.total, 2);
      assert.equal(view.selfTest.ok, true);

      const [ann] = await waitForMails(instance.captureDir, 'ann@example.test');
      const [bob] = await waitForMails(instance.captureDir, 'bob@example.test');
      const all = await capturedMails(instance.captureDir);
      assert.ok(
        !all.some((m) => /carl|dora/.test(m.to) && m.parsed.subject?.startsWith('Winter')),
        'Carl (suppressed) and Dora (pending) get nothing',
      );
      for (const mail of [ann!, bob!]) {
        const header = headerValue(mail, 'list-unsubscribe');
        const url = /<(http:\/\/[^>]+\/u\/[A-Za-z0-9_-]{43})>/.exec(header)?.[1];
        assert.ok(url, header);
        assert.match(header, /<mailto:unsubscribe\+[A-Za-z0-9_-]{43}@shop\.test\?subject=unsubscribe>/);
        assert.equal(headerValue(mail, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
        assert.ok(mail.parsed.html && mail.parsed.html.includes(url), 'the body links the same URL');
        assert.ok(mail.parsed.text?.includes(url));
        assert.ok(mail.parsed.text?.includes(POSTAL), 'postal address in the footer');
      }
      assert.equal(ann!.parsed.subject, 'Winter sale for Ann');
      // Plain ASCII parts go as they are (7bit): the signature below covers them so.
      assert.match(ann!.raw, /Content-Type: text\/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n/);
      const resolver = new Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([dns.address]);
      const dkim = await dkimVerify(Buffer.from(ann!.raw.replace(/^Return-Path: [^\r]*\r\n/, '')), {
        resolver: (name, type) => resolver.resolve(name, type as 'TXT'),
      });
      assert.deepEqual(
        dkim.results.map((r) => [r.status.result, r.selector, r.status.aligned]),
        [
          ['pass', 'lw1', 'shop.test'],
          ['pass', 'lw2', 'shop.test'],
        ],
        JSON.stringify(dkim.results.map((r) => r.status)),
      );
      for (const r of dkim.results) {
        const names = r.signingHeaders.keys.split(':').map((k) => k.trim().toLowerCase());
        assert.ok(names.includes('list-unsubscribe') && names.includes('list-unsubscribe-post'), r.signingHeaders.keys);
      }
      assert.match(ann!.parsed.html || '', /Winter sale in Delft/);
      assert.notEqual(headerValue(ann!, 'list-unsubscribe'), headerValue(bob!, 'list-unsubscribe'), 'per recipient');

      const annUrl = /<(http:\/\/[^>]+\/u\/[^>]+)>/.exec(headerValue(ann!, 'list-unsubscribe'))![1]!;
      const form = new FormData();
      form.append('List-Unsubscribe', 'One-Click');
      assert.equal((await request(annUrl, { method: 'POST', body: form })).status, 200);

      const deadline = Date.now() + 10_000;
      let final = await status(id);
      while (final.status !== 'finished' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        final = await status(id);
      }
      assert.equal(final.status, 'finished');
      assert.equal(final.sent, 2);

      const next = await createCampaign('news');
      const second = await api(`/${next}/send`);
      assert.equal(second.status, 200, second.text);
      assert.equal(second.json().total, 1, 'the next campaign skips the address that unsubscribed');
      await waitForMails(instance.captureDir, 'bob@example.test', 2);
      await new Promise((r) => setTimeout(r, 1000));
      const toAnn = (await capturedMails(instance.captureDir)).filter(
        (m) => m.to === 'ann@example.test' && m.parsed.subject?.startsWith('Winter'),
      );
      assert.equal(toAnn.length, 1);
    });

    it('schedules, pauses, resumes and cancels without resending', async () => {
      const id = await createCampaign('news');
      const scheduled = JSON.parse(
        (await campaignsCli(['send', String(id), '--at', '2099-01-01T00:00:00Z', '--json'])).stdout,
      );
      assert.equal(scheduled.status, 'scheduled');
      assert.equal(scheduled.sendAt, '2099-01-01T00:00:00.000Z');
      const cancelled = (await api(`/${id}/cancel`)).json();
      assert.equal(cancelled.status, 'cancelled');
      const again = await api(`/${id}/send`);
      assert.equal(again.status, 409);
      assert.match(String(again.json().message), /is cancelled; only a draft can be sent/);
      const badTime = await api(`/${await createCampaign('news')}/send`, { at: 'tomorrow' });
      assert.equal(badTime.status, 400);
      assert.match(String(badTime.json().message), /not an ISO 8601 time/);
      const paused = await api(`/${id}/pause`);
      assert.equal(paused.status, 409);
      assert.match(String(paused.json().message), /only a running campaign can be paused/);

      // Pause and resume over HTTP while the worker runs (the worker may finish first: then
      // pause is refused); either way nobody gets the campaign twice.
      const running = await createCampaign('news');
      const started = await api(`/${running}/send`);
      assert.equal(started.status, 200, started.text);
      const pause = await api(`/${running}/pause`);
      if (pause.status === 200) {
        assert.equal(pause.json().status, 'paused');
        const resumed = await api(`/${running}/resume`);
        assert.equal(resumed.status, 200, resumed.text);
      } else {
        assert.equal(pause.status, 409);
      }
      const deadline = Date.now() + 10_000;
      let final = await status(running);
      while (final.status !== 'finished' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        final = await status(running);
      }
      assert.equal(final.sent, final.total);
      const copies = (await capturedMails(instance.captureDir)).filter(
        (m) => headerValue(m, 'x-campaign') === String(running),
      );
      assert.equal(copies.length, final.total, 'every recipient once');
    });
  });
}
