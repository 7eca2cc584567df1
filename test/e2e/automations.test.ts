import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { openDatabase } from '../../src/db/database.js';
import { DIALECTS } from '../helpers/databases.js';
import { postForm, postJson, request } from '../helpers/http.js';
import { cliOk, newInstance, startServer, type RunningServer } from '../helpers/listwarden.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';

// A welcome series across a SIGKILL of `serve`, through the CLI as written in the issue, real
// sign-ups and confirmations over HTTP and a real SMTP receiver: every person gets each step,
// none twice (a message in flight at the crash may arrive again, with the same Message-ID).

const PEOPLE = 60;
const STEP = '<p>{{ subscriber.email }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';

/** Recipient → Message-IDs of the automation mail with `subject` it received. */
function copies(receiver: SmtpReceiver, subject: string): Map<string, string[]> {
  const byRecipient = new Map<string, string[]>();
  for (const m of receiver.received) {
    if (!m.raw.includes(`\r\nSubject: ${subject}\r\n`)) continue;
    const messageId = /^Message-ID: (<[^>]+>)/m.exec(m.raw)?.[1] ?? '';
    for (const to of m.to) byRecipient.set(to, [...(byRecipient.get(to) ?? []), messageId]);
  }
  return byRecipient;
}

for (const dialect of DIALECTS) {
  describe(`a welcome series across a SIGKILL on ${dialect.name}`, { skip: dialect.skip }, () => {
    const cleanups: Array<() => Promise<unknown> | unknown> = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it('loses no step and doubles none', async () => {
      const receiver = await startSmtpReceiver(undefined, { delayMs: 20 });
      const fresh = await dialect.fresh();
      cleanups.push(
        () => receiver.close(),
        () => fresh.drop(),
      );
      const instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_SMTP_URL: receiver.url,
        LISTWARDEN_OUTBOX_LEASE_SECONDS: '2',
        LISTWARDEN_OUTBOX_CONCURRENCY: '4',
        LISTWARDEN_OUTBOX_BATCH: '10',
        LISTWARDEN_SIGNUP_RATE_LIMIT: '1000/minute',
      });
      cleanups.push(() => instance.cleanup());
      const ok = (args: string[]) => cliOk(instance, args);
      await ok(['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
      await ok(['dkim', 'generate', '--domain', 'shop.test']);
      writeFileSync(join(instance.dir, 'welcome.html'), STEP);
      await ok(['automations', 'create', '--name', 'welcome', '--list', 'news', '--on', 'confirmed']);
      await ok([
        'automations',
        'add-step',
        'welcome',
        '--after',
        '0m',
        '--subject',
        'Welcome to {{ list.name }}',
        '--html',
        join(instance.dir, 'welcome.html'),
      ]);
      await ok([
        'automations',
        'add-step',
        'welcome',
        '--after',
        '0m',
        '--subject',
        'Second',
        '--html',
        join(instance.dir, 'welcome.html'),
      ]);
      const shown = JSON.parse(await ok(['automations', 'show', 'welcome', '--json']));
      assert.deepEqual(
        shown.steps.map((s: { subject: string }) => s.subject),
        ['Welcome to {{ list.name }}', 'Second'],
      );

      let server: RunningServer = await startServer(instance);
      // Real sign-ups and real confirmations (the link from each confirmation mail, POSTed).
      const emails = Array.from({ length: PEOPLE }, (_, i) => `p${i}@example.test`);
      for (const email of emails)
        assert.equal((await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email })).status, 202);
      const confirmed = new Set<string>();
      for (let i = 0; confirmed.size < PEOPLE && i < 400; i++) {
        for (const m of receiver.received) {
          const to = m.to[0] as string;
          if (confirmed.has(to) || !m.raw.includes('Subject: Please confirm')) continue;
          const link = /(https?:\/\/\S+\/c\/[A-Za-z0-9_-]{43})/.exec((await simpleParser(m.raw)).text ?? '')?.[1];
          assert.ok(link, 'a confirmation link');
          assert.equal((await postForm(link, {})).status, 200);
          confirmed.add(to);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(confirmed.size, PEOPLE);

      // Killed while the steps go out.
      const deadline = Date.now() + 60_000;
      const sent = () => copies(receiver, 'Welcome to News').size + copies(receiver, 'Second').size;
      while (sent() < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      server.process.kill('SIGKILL');
      await new Promise((r) => server.process.once('exit', r));
      const before = sent();
      assert.ok(before >= 30 && before < 2 * PEOPLE, `killed mid-series (${before} of ${2 * PEOPLE} delivered)`);

      server = await startServer(instance);
      cleanups.push(() => server.stop());
      for (const end = Date.now() + 90_000; Date.now() < end;) {
        if (copies(receiver, 'Second').size === PEOPLE && copies(receiver, 'Welcome to News').size === PEOPLE) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const subject of ['Welcome to News', 'Second']) {
        const received = copies(receiver, subject);
        assert.deepEqual([...received.keys()].sort(), [...emails].sort(), `everyone got "${subject}"`);
        const repeated = [...received.values()].filter((ids) => ids.length > 1);
        for (const ids of repeated) assert.equal(new Set(ids).size, 1, 'a repeat carries the same Message-ID');
        assert.ok(repeated.length <= 10, `only messages in flight at the crash went twice (${repeated.length})`);
      }
      // In the database: one message per person and step, every run done.
      const database = openDatabase(fresh.url);
      cleanups.push(() => database.close());
      const rows = await database.db
        .selectFrom('outbox')
        .select(['automation_run_id', 'automation_step', 'status'])
        .where('kind', '=', 'automation')
        .execute();
      assert.equal(rows.length, 2 * PEOPLE);
      assert.equal(new Set(rows.map((r) => `${r.automation_run_id}:${r.automation_step}`)).size, 2 * PEOPLE);
      const key = JSON.parse(await ok(['apikeys', 'create', '--name', 'tests', '--json'])).key as string;
      for (let i = 0; i < 50; i++) {
        const view = (
          await request(`${server.url}/api/v1/automations/welcome`, { headers: { authorization: `Bearer ${key}` } })
        ).json<{ runs: Record<string, number>; mail: Record<string, number> }>();
        if (view.mail.sent === 2 * PEOPLE) {
          assert.deepEqual(view.runs, { done: PEOPLE });
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('the outbox did not settle');
    });
  });
}
