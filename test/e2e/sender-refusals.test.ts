import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { consoleCookie, postJson, request, visibleText } from '../helpers/http.js';
import { cli, newInstance, startServer, type Instance, type RunningServer } from '../helpers/listwarden.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';

const COUNT = 12;
const BLOCKED = 'Service unavailable; client host [127.0.0.1] blocked using zen.spamhaus.org';

for (const dialect of DIALECTS) {
  describe(`a receiver that refuses us (a blocklist) on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let receiver: SmtpReceiver;

    before(async () => {
      // Every recipient is refused with the answer a blocklisted IP gets; the owner's mail goes through.
      receiver = await startSmtpReceiver((recipient) =>
        recipient === 'owner@shop.test' ? undefined : { code: 550, message: `5.7.1 ${BLOCKED}` },
      );
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_SMTP_URL: receiver.url,
        LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test',
        LISTWARDEN_GUARD_REFUSALS: '5',
        LISTWARDEN_DESTINATION_RATE: '2',
        LISTWARDEN_OUTBOX_CONCURRENCY: '1',
        LISTWARDEN_OUTBOX_BATCH: '2',
      });
      assert.equal(
        (await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test'])).code,
        0,
      );
      // Campaign mail is signed: the From domain needs a DKIM key (issue 13).
      assert.equal((await cli(instance, ['dkim', 'generate', '--domain', 'shop.test'])).code, 0);
      const csv = join(instance.dir, 'people.csv');
      writeFileSync(
        csv,
        [
          'email,name,confirmed_at,confirm_ip',
          ...Array.from({ length: COUNT }, (_, i) => `p${i}@gmail.com,P${i},2025-01-01T00:00:00Z,192.0.2.1`),
        ].join('\n') + '\n',
      );
      assert.equal(
        (await cli(instance, ['import', csv, '--list', 'news', '--source', 'fixture', '--with-proof'])).code,
        0,
      );
      server = await startServer(instance);
    });
    after(async () => {
      await server?.stop();
      await receiver?.close();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('suppresses nobody, pauses the campaign after the threshold, and the owner alert names Spamhaus and its delisting page', async () => {
      const key = JSON.parse((await cli(instance, ['apikeys', 'create', '--name', 'tests', '--json'])).stdout)
        .key as string;
      const auth = { authorization: `Bearer ${key}` };
      const html = '<p>Hi {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
      const created = await postJson(`${server.url}/api/v1/campaigns`, { list: 'news', subject: 'Sale', html }, auth);
      assert.equal(created.status, 201, created.text);
      const id = String(created.json<{ id: number }>().id);
      const sent = await postJson(`${server.url}/api/v1/campaigns/${id}/send`, { force: true }, auth);
      assert.equal(sent.status, 200, sent.text);

      let view: Record<string, any> = {};
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        view = JSON.parse((await cli(instance, ['campaigns', 'status', id, '--json'])).stdout);
        if (view.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(view.status, 'stopped_by_guard', JSON.stringify(view));
      assert.match(
        view.stopReason,
        /Gmail refused 5 messages of campaign \d+ within 10 minutes: blocked, naming zen\.spamhaus\.org/,
      );
      assert.ok(view.held > 0, 'the rest is held, not sent into the block');

      // Nobody is marked bounced or suppressed: the refusal was about us.
      for (let i = 0; i < COUNT; i++) {
        const shown = JSON.parse((await cli(instance, ['subscribers', 'show', `p${i}@gmail.com`, '--json'])).stdout);
        assert.equal(shown.subscriptions[0].status, 'confirmed', `p${i}`);
        assert.equal(shown.suppressed, null, `p${i}`);
      }
      const listed = JSON.parse((await cli(instance, ['feedback', 'list', '--json'])).stdout).events as Array<{
        kind: string;
        action: string;
      }>;
      assert.ok(listed.length >= 5);
      assert.ok(listed.every((e) => e.kind === 'soft_bounce' && /because of us \(blocked\)/.test(e.action)));

      const alertDeadline = Date.now() + 10_000;
      while (!receiver.received.some((m) => m.to.includes('owner@shop.test')) && Date.now() < alertDeadline)
        await new Promise((r) => setTimeout(r, 100));
      const alert = receiver.received.find((m) => m.to.includes('owner@shop.test'));
      assert.ok(alert, 'owner alert mailed');
      const text = alert.raw.replace(/=\r\n/g, '');
      assert.match(text, /Spamhaus ZEN \(zen\.spamhaus\.org\)/);
      assert.match(text, /https:\/\/check\.spamhaus\.org\//);

      // The console's dashboard says the same to whoever looks, with what to do.
      const made = await cli(instance, [
        'users',
        'create',
        '--email',
        'viewer@shop.test',
        '--role',
        'viewer',
        '--password',
        'a viewer password',
      ]);
      assert.equal(made.code, 0, made.stderr);
      const cookie = await consoleCookie(server.url, 'viewer@shop.test', 'a viewer password');
      const dashboard = visibleText((await request(`${server.url}/console`, { headers: { cookie } })).text);
      assert.match(dashboard, /Gmail refused our mail \d+ times in the last 24 hours because of us \(blocked\)/);
      assert.match(dashboard, /“Sale” was stopped by the circuit breaker: Gmail refused 5 messages/);
    });
  });
}
