// npm run bench:tx — the real `listwarden serve` (built JS, SQLite), sending to postfix's
// smtp-sink on loopback. Two measurements, one JSON line:
// 1. accepted transactional requests/s and their latency (autocannon, 32 connections, a stored
//    template, a fresh idempotency key per request), next to GET /healthz of the same server in the
//    same run (the HTTP ceiling);
// 2. while a 100,000-recipient campaign is sending through the same relay, order mails one every
//    400 ms: from the moment the request leaves to the relay's 250 (the message's sent_at).
import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, cliWith, createCampaign, sendingSetup, startServe, writeCustomersCsv } from './kit.js';
import autocannon from 'autocannon';
import { openDatabase } from '../src/db/database.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    recipients: { type: 'string', default: '100000' },
    probes: { type: 'string', default: '60' },
  },
});
const recipients = Number(values.recipients);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-tx-'));
const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

const children: ChildProcess[] = [];
try {
  build();
  const databaseUrl = `sqlite:${join(dir, 'bench.db')}`;
  // Mail here is signed by the domain's stored key (`dkim generate` below), not a key file.
  const { sink, httpPort, env: sendingEnv } = await sendingSetup(dir, databaseUrl, { keyFile: false });
  children.push(sink);
  const env: NodeJS.ProcessEnv = { ...sendingEnv, LISTWARDEN_TX_FROM: 'Tulip Shop <orders@shop.test>' };
  const run = cliWith(env);
  run(['init']);
  run(['lists', 'create', 'news', '--name', 'Shop News', '--from', 'Shop News <news@shop.test>']);
  // Campaign and order mail are DKIM-signed (RSA-2048), as in production.
  run(['dkim', 'generate', '--domain', 'shop.test']);
  writeFileSync(
    join(dir, 'order.html'),
    '<h1>Thank you, {{ name }}</h1><p>Order {{ order.number }}:</p><ul>{% for i in order.items %}<li>{{ i.qty }} × {{ i.title }}</li>{% endfor %}</ul>',
  );
  run(['templates', 'create', 'order', '--subject', 'Order {{ order.number }}', '--html', join(dir, 'order.html')]);
  const key = JSON.parse(run(['apikeys', 'create', '--name', 'bench', '--json'])).key as string;
  const csv = join(dir, 'subscribers.csv');
  await writeCustomersCsv(csv, recipients);
  run(['import', csv, '--list', 'news', '--source', 'benchmark', '--with-proof']);
  const paragraph =
    '<p>Dear {{ subscriber.name }}, our winter collection is here: warm coats, boots and scarves.</p>\n';
  writeFileSync(
    join(dir, 'campaign.html'),
    `<html><body>${paragraph.repeat(100)}<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`,
  );
  const campaign = { id: createCampaign(run, { subject: 'Winter sale', htmlFile: join(dir, 'campaign.html') }) };

  const server = await startServe(env, httpPort);
  children.push(server);
  const base = `http://127.0.0.1:${httpPort}`;
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  // 1. Accepted requests per second, and the HTTP ceiling of the same server in the same run.
  const reference = await autocannon({
    url: `${base}/healthz`,
    connections: Number(values.connections),
    duration: 5,
  });
  let n = 0;
  const stamp = Date.now();
  const load = await autocannon({
    url: `${base}/api/v1/tx`,
    connections: Number(values.connections),
    duration: Number(values.seconds),
    requests: [
      {
        method: 'POST',
        headers: auth,
        setupRequest: (request) => {
          const i = n++;
          return {
            ...request,
            body: JSON.stringify({
              to: `buyer${i}@orders${i % 97}.test`,
              template: 'order',
              idempotencyKey: `order-${stamp}-${i}`,
              data: {
                name: `Buyer ${i}`,
                order: {
                  number: String(100000 + i),
                  items: [
                    { qty: 2, title: 'Tulips' },
                    { qty: 1, title: 'Vase' },
                  ],
                },
              },
            }),
          };
        },
      },
    ],
  });
  const database = openDatabase(databaseUrl);
  const stored = Number(
    (
      await database.db
        .selectFrom('outbox')
        .select((s) => s.fn.countAll<number>().as('n'))
        .where('kind', '=', 'transactional')
        .executeTakeFirst()
    )?.n ?? 0,
  );
  // Let the accepted ones go out before the campaign starts.
  for (let i = 0; i < 120; i++) {
    const left = await database.db
      .selectFrom('outbox')
      .select((s) => s.fn.countAll<number>().as('n'))
      .where('kind', '=', 'transactional')
      .where('status', 'in', ['queued', 'sending', 'deferred'])
      .executeTakeFirst();
    if (Number(left?.n ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  const txOutcomes = Object.fromEntries(
    (
      await database.db
        .selectFrom('outbox')
        .select(['status', (s) => s.fn.countAll<number>().as('n')])
        .where('kind', '=', 'transactional')
        .groupBy('status')
        .execute()
    ).map((r) => [r.status, Number(r.n)]),
  );

  // 2. Order mail while the campaign sends through the same relay.
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}/api/v1${path}`, { ...init, headers: auth }).then(async (r) => {
      if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, unknown>>;
    });
  await api(`/campaigns/${campaign.id}/send`, { method: 'POST', body: '{}' });
  for (;;) {
    const status = await api(`/campaigns/${campaign.id}`);
    if (Number(status.sent) >= 2000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const probes: Array<{ id: number; at: number }> = [];
  for (let i = 0; i < Number(values.probes); i++) {
    const at = Date.now();
    const accepted = await api('/tx', {
      method: 'POST',
      body: JSON.stringify({
        to: `probe${i}@orders.test`,
        template: 'order',
        data: { name: 'Probe', order: { number: `P${i}`, items: [] } },
      }),
    });
    probes.push({ id: Number(accepted.id), at });
    await new Promise((r) => setTimeout(r, 400));
  }
  const during = await api(`/campaigns/${campaign.id}`);
  await new Promise((r) => setTimeout(r, 3000));
  const latencies: number[] = [];
  for (const probe of probes) {
    const view = await api(`/tx/${probe.id}`);
    if (typeof view.sentAt === 'string') latencies.push(Date.parse(view.sentAt) - probe.at);
  }
  latencies.sort((a, b) => a - b);
  // A small campaign may have finished already.
  await api(`/campaigns/${campaign.id}/cancel`, { method: 'POST', body: '{}' }).catch(() => undefined);
  await database.close();
  server.kill('SIGTERM');
  await once(server, 'exit');

  console.log(
    JSON.stringify({
      bench: 'tx',
      connections: Number(values.connections),
      seconds: Number(values.seconds),
      acceptedPerSecond: Math.round(load.requests.average),
      accepted: load['2xx'],
      non2xx: load.non2xx,
      errors: load.errors,
      storedMessages: stored,
      storedMessagesByStatus: txOutcomes,
      latencyMs: {
        p50: load.latency.p50,
        p90: load.latency.p90,
        p97_5: load.latency.p97_5,
        p99: load.latency.p99,
        max: load.latency.max,
      },
      healthzRequestsPerSecond: Math.round(reference.requests.average),
      duringCampaign: {
        recipients,
        campaignSentWhenProbesEnded: Number(during.sent),
        campaignStatusWhenProbesEnded: during.status,
        probes: probes.length,
        delivered: latencies.length,
        acceptedTo250Ms: {
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          max: latencies.at(-1) ?? null,
        },
      },
      target: { acceptedPerSecond: 1000, p99Ms: 50, acceptedTo250P95Ms: 1000 },
    }),
  );
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
