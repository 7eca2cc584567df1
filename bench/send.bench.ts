// npm run bench:send — the real `listwarden serve` (built JS, SQLite) sends a 20 KB personalised
// campaign, DKIM-signed with RSA-2048, to postfix's smtp-sink on loopback. Prints one JSON line:
// messages/s and the server's peak RSS, next to smtp-source's raw ceiling measured in the same run.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { build, cliWith, createCampaign, newsListWithCustomers, sendingSetup, spawnServe, startServe } from './kit.js';

const { values } = parseArgs({
  options: {
    recipients: { type: 'string', default: '100000' },
    // newsletter: the content without <html>, so it goes into the default branded MJML layout
    // (issue 15) and each message's text part is made from its rendered HTML.
    layout: { type: 'string', default: 'none' },
    // Console pages open on the campaign during the send (each a live-progress stream), to
    // measure what the console costs the engine: compare with 0 in the same run.
    'console-pages': { type: 'string', default: '0' },
    // postgres: a fresh database on the local server; --workers N more `serve --worker-only`
    // processes send beside the full `serve` (N = 0: the full serve alone).
    dialect: { type: 'string', default: 'sqlite' },
    workers: { type: 'string', default: '0' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const dialect = values.dialect === 'postgres' ? 'postgres' : 'sqlite';
const workerCount = Number(values.workers);
const consolePages = Number(values['console-pages']);
const recipients = Number(values.recipients);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-send-'));

/** User plus system CPU seconds a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const children: ChildProcess[] = [];
const pgName = `lw_bench_send_${process.pid}`;
const pgAdmin = dialect === 'postgres' ? new pg.Client({ connectionString: values.postgres }) : undefined;
try {
  let databaseUrl = `sqlite:${join(dir, 'bench.db')}`;
  if (pgAdmin) {
    await pgAdmin.connect();
    await pgAdmin.query(`create database ${pgName}`);
    const url = new URL(values.postgres);
    url.pathname = `/${pgName}`;
    databaseUrl = url.toString();
  }
  build();
  const { sink, sinkPort, httpPort, env } = await sendingSetup(dir, databaseUrl);
  children.push(sink);
  const run = cliWith(env);
  // A fresh database, as `listwarden init` makes it (other commands never create one).
  await newsListWithCustomers(run, dir, recipients);
  const paragraph =
    '<p>Dear {{ subscriber.name }}, our winter collection is here: warm coats, boots and scarves at prices that make the season easier. Visit the shop in {{ subscriber.city }} or order online.</p>\n';
  const content = `<h1>Winter sale, {{ subscriber.name }}</h1>\n${paragraph.repeat(Math.ceil(20_000 / paragraph.length))}<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>`;
  const layout = values.layout === 'newsletter' ? 'newsletter' : 'none';
  const html = layout === 'newsletter' ? content : `<html><body>${content}</body></html>`;
  writeFileSync(join(dir, 'campaign.html'), html);
  const created = {
    id: createCampaign(run, {
      subject: 'Winter sale for {{ subscriber.name }}',
      htmlFile: join(dir, 'campaign.html'),
      layout,
    }),
  };
  const key = JSON.parse(run(['apikeys', 'create', '--name', 'bench', '--json'])).key as string;
  if (consolePages > 0)
    run([
      'users',
      'create',
      '--email',
      'viewer@shop.test',
      '--role',
      'viewer',
      '--password',
      'a bench viewer password',
    ]);

  const server = await startServe(env, httpPort);
  children.push(server);
  const senders = [server];
  for (let i = 0; i < workerCount; i++) {
    const worker = spawnServe(env, ['--worker-only']);
    worker.stdout.resume();
    worker.stderr.resume();
    children.push(worker);
    senders.push(worker);
  }

  // The largest peak RSS of any sending process (each is a machine's worth of memory).
  let peak = 0;
  const sampler = setInterval(() => {
    for (const p of senders) peak = Math.max(peak, peakRssKb(p.pid as number));
  }, 200);
  const api = (path: string, method = 'GET') =>
    fetch(`http://127.0.0.1:${httpPort}/api/v1/campaigns/${created.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}` },
    }).then(async (r) => {
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<{ status: string; sent: number; failed: number; deferred: number; total: number }>;
    });
  // Polled over HTTP: a CLI process per poll would take CPU from the server being measured.
  const started = process.hrtime.bigint();
  const sendersCpu = () => senders.reduce((sum, p) => sum + cpuSeconds(p.pid as number), 0);
  const cpuBefore = sendersCpu();
  await api('/send', 'POST');
  const live = consolePages > 0 ? await openConsolePages(httpPort, created.id as number) : undefined;
  let status: { status: string; sent: number; failed: number; deferred: number; total: number };
  // (seconds, sent, server CPU seconds) at each poll: the cost per message early and late in the send.
  const samples: Array<{ t: number; sent: number; cpu: number }> = [];
  for (;;) {
    status = await api('');
    samples.push({
      t: Number(process.hrtime.bigint() - started) / 1e9,
      sent: status.sent,
      cpu: sendersCpu() - cpuBefore,
    });
    if (status.status === 'finished' || server.exitCode !== null) break;
    // Every 2 s: a status call counts the campaign's rows, which is not free at a million.
    await new Promise((r) => setTimeout(r, 2000));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverCpu = sendersCpu() - cpuBefore;
  clearInterval(sampler);
  live?.close();
  for (const p of senders) p.kill('SIGTERM');
  await Promise.all(senders.map((p) => (p.exitCode === null ? once(p, 'exit') : undefined)));

  // The raw SMTP ceiling of this machine: smtp-source against the same sink.
  const sourceStart = process.hrtime.bigint();
  const source = spawnSync('smtp-source', ['-d', '-s', '20', '-m', '20000', '-l', '20000', `127.0.0.1:${sinkPort}`]);
  const sourceSeconds = Number(process.hrtime.bigint() - sourceStart) / 1e9;

  console.log(
    JSON.stringify({
      bench: 'send',
      dialect,
      workers: workerCount,
      recipients,
      htmlBytes: html.length,
      layout,
      dkim: 'rsa-2048',
      seconds: Number(seconds.toFixed(1)),
      sent: status.sent,
      failed: status.failed,
      messagesPerSecond: Math.round(status.sent / seconds),
      peakRssMB: Math.round(peak / 1024),
      serverCpuMsPerMessage: Number(((serverCpu * 1000) / Math.max(1, status.sent)).toFixed(2)),
      // The same two figures over the first and the last fifth of the messages sent.
      firstFifth: windowOf(samples, 0, 0.2 * status.sent),
      lastFifth: windowOf(samples, 0.8 * status.sent, status.sent),
      consolePages,
      ...(live ? { liveUpdates: live.events() } : {}),
      smtpSourceMessagesPerSecond: source.status === 0 ? Math.round(20000 / sourceSeconds) : null,
      target: { messagesPerSecond: 1500 },
    }),
  );
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  if (pgAdmin) {
    await pgAdmin.query(`drop database if exists ${pgName} with (force)`).catch(() => {});
    await pgAdmin.end();
  }
}

/** Messages a second and server CPU per message between the polls around `from` and `to` messages sent. */
function windowOf(samples: ReadonlyArray<{ t: number; sent: number; cpu: number }>, from: number, to: number) {
  const a = [...samples].reverse().find((s) => s.sent <= from) ?? samples[0];
  const b = samples.find((s) => s.sent >= to) ?? samples[samples.length - 1];
  if (!a || !b || b.sent <= a.sent) return null;
  return {
    messagesPerSecond: Math.round((b.sent - a.sent) / (b.t - a.t)),
    serverCpuMsPerMessage: Number((((b.cpu - a.cpu) * 1000) / (b.sent - a.sent)).toFixed(2)),
  };
}

/** Signs in as a viewer and opens `consolePages` live-progress streams on the campaign, as open pages do. */
async function openConsolePages(port: number, campaignId: number) {
  const base = `http://127.0.0.1:${port}`;
  const first = await fetch(`${base}/`);
  const formCookie = first.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await first.text())?.[1] ?? '';
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email: 'viewer@shop.test', password: 'a bench viewer password' }),
  });
  const session = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('lw_session='))
    ?.split(';')[0];
  if (!session) throw new Error(`console login failed: ${login.status}`);
  const controller = new AbortController();
  let events = 0;
  for (let i = 0; i < consolePages; i++) {
    const stream = await fetch(`${base}/console/campaigns/${campaignId}/live`, {
      headers: { cookie: session },
      signal: controller.signal,
    });
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>)
          events += (decoder.decode(chunk).match(/^event: progress$/gm) ?? []).length;
      } catch {
        // closed at the end
      }
    })();
  }
  return { close: () => controller.abort(), events: () => events };
}
