import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postJson, request } from '../helpers/http.js';
import { cli, newInstance, startServer, type Instance, type RunningServer } from '../helpers/listwarden.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';

// Claims and leases are under test, not the layout: the body is sent as written (a 2 s lease
// is shorter than a batch of the ~11 KB branded layout takes on a loaded 2-core machine).
const HTML = '<p>Hello {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';

/** A database with one list of `count` confirmed subscribers and an API key. */
async function prepare(fresh: TestDatabase, receiver: SmtpReceiver, count: number, env: Record<string, string> = {}) {
  const instance = newInstance(fresh.url, {
    LISTWARDEN_VERIFY_DOMAINS: 'false',
    LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
    LISTWARDEN_SMTP_URL: receiver.url,
    LISTWARDEN_OUTBOX_LEASE_SECONDS: '2',
    LISTWARDEN_RETRY_BASE_SECONDS: '1',
    LISTWARDEN_OUTBOX_CONCURRENCY: '5',
    LISTWARDEN_OUTBOX_BATCH: '20',
    ...env,
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
      ...Array.from({ length: count }, (_, i) => `r${i}@example.test,R${i},2025-01-01T00:00:00Z,192.0.2.1`),
    ].join('\n') + '\n',
  );
  const imported = await cli(instance, ['import', csv, '--list', 'news', '--source', 'fixture', '--with-proof']);
  assert.equal(imported.code, 0, imported.stderr);
  const key = JSON.parse((await cli(instance, ['apikeys', 'create', '--name', 'tests', '--json'])).stdout)
    .key as string;
  return { instance, key };
}

async function sendCampaign(server: RunningServer, key: string): Promise<number> {
  const auth = { authorization: `Bearer ${key}` };
  const created = await postJson(
    `${server.url}/api/v1/campaigns`,
    { list: 'news', subject: 'Hi {{ subscriber.name }}', html: HTML, layout: 'none' },
    auth,
  );
  assert.equal(created.status, 201, created.text);
  const id = created.json<{ id: number }>().id;
  const sent = await request(`${server.url}/api/v1/campaigns/${id}/send`, { method: 'POST', headers: auth });
  assert.equal(sent.status, 200, sent.text);
  return id;
}

async function waitFinished(server: RunningServer, key: string, id: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(`${server.url}/api/v1/campaigns/${id}`, { headers: { authorization: `Bearer ${key}` } });
    const view = r.json<{ status: string; sent: number; total: number }>();
    if (view.status === 'finished') return view;
    if (Date.now() > deadline) throw new Error(`campaign not finished: ${r.text}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Recipient → Message-IDs it received for this campaign. */
function copies(receiver: SmtpReceiver, id: number): Map<string, string[]> {
  const byRecipient = new Map<string, string[]>();
  for (const m of receiver.received) {
    if (!m.raw.includes(`X-Campaign: ${id}\r\n`)) continue;
    const messageId = /^Message-ID: (<[^>]+>)/m.exec(m.raw)?.[1] ?? '';
    for (const to of m.to) byRecipient.set(to, [...(byRecipient.get(to) ?? []), messageId]);
  }
  return byRecipient;
}

for (const dialect of DIALECTS) {
  describe(`sending engine over real SMTP on ${dialect.name}`, { skip: dialect.skip }, () => {
    const cleanups: Array<() => Promise<unknown> | unknown> = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it('after a SIGKILL mid-campaign and a restart, nobody is skipped and repeats keep their Message-ID', async () => {
      const receiver = await startSmtpReceiver(undefined, { delayMs: 15 });
      const fresh = await dialect.fresh();
      cleanups.push(
        () => receiver.close(),
        () => fresh.drop(),
      );
      const { instance, key } = await prepare(fresh, receiver, 200);
      cleanups.push(() => instance.cleanup());
      const first = await startServer(instance);
      const id = await sendCampaign(first, key);
      const deadline = Date.now() + 30_000;
      while (copies(receiver, id).size < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      first.process.kill('SIGKILL');
      await new Promise((r) => first.process.once('exit', r));
      const before = copies(receiver, id).size;
      assert.ok(before >= 50 && before < 200, `killed mid-campaign (${before} delivered)`);

      const second = await startServer(instance);
      cleanups.push(() => second.stop());
      const view = await waitFinished(second, key, id);
      assert.equal(view.sent, 200);
      const received = copies(receiver, id);
      assert.equal(received.size, 200, 'every recipient got the message');
      const repeated = [...received.values()].filter((ids) => ids.length > 1);
      for (const ids of repeated) assert.equal(new Set(ids).size, 1, 'a repeat carries the same Message-ID');
      assert.ok(repeated.length <= 20, `only messages in flight at the crash went twice (${repeated.length})`);
    });

    it('a receiver answering 451 for a while delays mail without losing any', async () => {
      const started = Date.now();
      const receiver = await startSmtpReceiver(() =>
        Date.now() - started < 8_000 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined,
      );
      const fresh = await dialect.fresh();
      cleanups.push(
        () => receiver.close(),
        () => fresh.drop(),
      );
      const { instance, key } = await prepare(fresh, receiver, 30);
      cleanups.push(() => instance.cleanup());
      const server = await startServer(instance);
      cleanups.push(() => server.stop());
      const id = await sendCampaign(server, key);
      const view = await waitFinished(server, key, id, 90_000);
      assert.equal(view.sent, 30);
      const received = copies(receiver, id);
      assert.equal(received.size, 30);
      assert.ok(
        [...received.values()].every((ids) => ids.length === 1),
        'deferred, not duplicated',
      );
      assert.ok(Date.now() - started >= 8_000, 'nothing was accepted while the receiver deferred');
    });
  });
}

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;

describe('two workers on one PostgreSQL database', { skip: postgres.skip }, () => {
  it('share one campaign without a duplicate', async () => {
    const receiver = await startSmtpReceiver(undefined, { delayMs: 5 });
    const fresh = await postgres.fresh();
    const { instance, key } = await prepare(fresh, receiver, 300);
    const main = await startServer(instance);
    const helper = await startServer(instance, {}, { workerOnly: true, publicUrl: main.url });
    try {
      const id = await sendCampaign(main, key);
      await waitFinished(main, key, id);
      const received = copies(receiver, id);
      assert.equal(received.size, 300);
      assert.ok(
        [...received.values()].every((ids) => ids.length === 1),
        'nobody got it twice',
      );
      const sentBy = (logs: string) => (logs.match(/"msg":"message sent"/g) ?? []).length;
      assert.ok(
        sentBy(main.logs()) > 0 && sentBy(helper.logs()) > 0,
        `both workers sent (${sentBy(main.logs())} + ${sentBy(helper.logs())})`,
      );
    } finally {
      await helper.stop();
      await main.stop();
      await receiver.close();
      await fresh.drop();
      instance.cleanup();
    }
  });
});
