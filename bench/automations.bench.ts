// npm run bench:automations — automation steps due for many people at once go out at the campaign
// engine's rate (issue 18). The real `serve` (SQLite), smtp-sink on loopback, RSA-2048 DKIM. In one
// run: a campaign to the list (the reference), then an event flow whose one step is due for every
// subscriber at once (its runs made through POST /api/v1/events while the flow is paused, then
// resumed). One JSON line: both rates and their ratio.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { build, cliWith, createCampaign, newsListWithCustomers, sendingSetup, startServe } from './kit.js';

const { values } = parseArgs({ options: { recipients: { type: 'string', default: '100000' } } });
const recipients = Number(values.recipients);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-automations-'));
const children: ChildProcess[] = [];
const HTML =
  '<h1>Hello {{ subscriber.name }}</h1>' +
  '<p>Our winter collection is here: warm coats, boots and scarves at prices that make the season easier.</p>\n'.repeat(
    40,
  ) +
  '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';

try {
  build();
  const { sink, httpPort, env } = await sendingSetup(dir, `sqlite:${join(dir, 'bench.db')}`);
  children.push(sink);
  const run = cliWith(env);
  await newsListWithCustomers(run, dir, recipients);
  writeFileSync(join(dir, 'mail.html'), `<html><body>${HTML}</body></html>`);
  run(['automations', 'create', '--name', 'promo', '--list', 'news', '--on', 'promo.start']);
  run([
    'automations',
    'add-step',
    'promo',
    '--after',
    '0m',
    '--subject',
    'For you, {{ subscriber.name }}',
    '--html',
    join(dir, 'mail.html'),
    '--layout',
    'none',
  ]);
  run(['automations', 'pause', 'promo']);
  const campaign = {
    id: createCampaign(run, {
      subject: 'For you, {{ subscriber.name }}',
      htmlFile: join(dir, 'mail.html'),
      layout: 'none',
    }),
  };
  const key = JSON.parse(run(['apikeys', 'create', '--name', 'bench', '--json'])).key as string;
  const server = await startServe(env, httpPort);
  children.push(server);
  const base = `http://127.0.0.1:${httpPort}/api/v1`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<T>;
  };
  const waitUntil = async (done: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 30 * 60_000; Date.now() < deadline;) {
      if (await done()) return;
      // Once a second: the automation's view counts its mail by status (it reads the flow's rows),
      // and polled twice a second it took a share of the server's thread from the sending.
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('gave up after 30 minutes');
  };

  // 1. The reference: a campaign to everyone, from send to the last message.
  const campaignStarted = performance.now();
  await api(`/campaigns/${campaign.id}/send`, { force: true });
  await waitUntil(async () => (await api<{ status: string }>(`/campaigns/${campaign.id}`)).status === 'finished');
  const campaignSeconds = (performance.now() - campaignStarted) / 1000;

  // 2. A run for everyone (the flow paused, so every step is due at once), then the flow resumed.
  let n = 0;
  const eventsStarted = performance.now();
  const events = await autocannon({
    url: `${base}/events`,
    connections: 16,
    amount: recipients,
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (request) => {
          const i = n++;
          return { ...request, body: JSON.stringify({ email: `c${i}@example${i % 997}.test`, name: 'promo.start' }) };
        },
      },
    ],
  });
  const eventSeconds = (performance.now() - eventsStarted) / 1000;
  const automationStarted = performance.now();
  await api('/automations/promo/resume', {});
  await waitUntil(async () => {
    const view = await api<{ mail: Record<string, number> }>('/automations/promo');
    return (view.mail.sent ?? 0) + (view.mail.failed ?? 0) >= recipients;
  });
  const automationSeconds = (performance.now() - automationStarted) / 1000;
  const viewStarted = performance.now();
  const view = await api<{ runs: Record<string, number>; mail: Record<string, number> }>('/automations/promo');
  const viewMs = Math.round(performance.now() - viewStarted);
  const automationRate = Math.round(recipients / automationSeconds);
  const campaignRate = Math.round(recipients / campaignSeconds);
  console.log(
    JSON.stringify({
      bench: 'automations',
      dialect: 'sqlite',
      recipients,
      dkim: 'rsa-2048',
      events: {
        seconds: Math.round(eventSeconds * 10) / 10,
        perSecond: Math.round(recipients / eventSeconds),
        non2xx: events.non2xx,
      },
      automation: {
        seconds: Math.round(automationSeconds * 10) / 10,
        messagesPerSecond: automationRate,
        runs: view.runs,
        viewMs,
        mail: view.mail,
      },
      campaign: { seconds: Math.round(campaignSeconds * 10) / 10, messagesPerSecond: campaignRate },
      ratio: Math.round((automationRate / campaignRate) * 100) / 100,
      target: { ratio: 1 },
    }),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
