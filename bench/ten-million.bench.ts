// npm run bench:ten-million — a list of 10,000,000 subscribers on SQLite (issue 17): imported with
// proof through the real `listwarden import`, then a campaign sent through the real `serve` to
// postfix's smtp-sink. Prints one JSON line: the database's size per subscriber, the seconds from
// `send` to the first message accepted by the sink, and `campaigns status` answer times (over the
// HTTP API, while the fan-out still runs). The campaign is cancelled after the measurements: the
// sending rate at scale is bench:send's job. --keep DIR keeps (and reuses) the imported database.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, cliWith, createCampaign, sendingSetup, startServe, writeCustomersCsv } from './kit.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '10000000' },
    keep: { type: 'string' },
  },
});
const subscribers = Number(values.subscribers);
const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'lw-bench-10m-'));
mkdirSync(dir, { recursive: true });
const dbFile = join(dir, 'bench.db');
const reuse = values.keep !== undefined && existsSync(join(dir, 'imported'));

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const children: ChildProcess[] = [];
try {
  build();
  const { sink, httpPort, env } = await sendingSetup(dir, `sqlite:${dbFile}`);
  children.push(sink);
  const run = cliWith(env);
  let importSeconds = 0;
  if (!reuse) {
    rmSync(dbFile, { force: true });
    run(['init']);
    run(['lists', 'create', 'news', '--name', 'Shop News', '--from', 'Shop News <news@shop.test>']);
    const csv = join(dir, 'subscribers.csv');
    await writeCustomersCsv(csv, subscribers);
    const started = process.hrtime.bigint();
    run(['import', csv, '--list', 'news', '--source', 'benchmark', '--with-proof']);
    importSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    rmSync(csv);
    // The size of the list itself, before any campaign (kept for runs that reuse the database).
    writeFileSync(
      join(dir, 'imported'),
      JSON.stringify({ subscribers, importSeconds, bytes: sizeOf(dbFile) + sizeOf(`${dbFile}-wal`) }),
    );
  }
  const imported = JSON.parse(readFileSync(join(dir, 'imported'), 'utf8')) as {
    subscribers: number;
    importSeconds: number;
    bytes: number;
  };
  importSeconds = imported.importSeconds;
  const bytes = imported.bytes;

  const html = `<html><body><h1>Winter sale, {{ subscriber.name }}</h1><p>${'Warm coats and boots. '.repeat(200)}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`;
  writeFileSync(join(dir, 'campaign.html'), html);
  const created = {
    id: createCampaign(run, { subject: 'Winter sale', htmlFile: join(dir, 'campaign.html'), layout: 'none' }),
  };
  const key = JSON.parse(run(['apikeys', 'create', '--name', `bench-${Date.now()}`, '--json'])).key as string;
  const server = await startServe(env, httpPort);
  children.push(server);
  const api = async (path: string, method = 'GET') => {
    const r = await fetch(`http://127.0.0.1:${httpPort}/api/v1/campaigns/${created.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}` },
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { status: string; sent: number; total: number };
  };

  const sendStarted = process.hrtime.bigint();
  const answer = await api('/send', 'POST');
  const sendAnsweredSeconds = Number(process.hrtime.bigint() - sendStarted) / 1e9;
  let view = answer;
  while (view.sent < 1) {
    if (Number(process.hrtime.bigint() - sendStarted) / 1e9 > 120) throw new Error('no message within 120 s');
    await new Promise((r) => setTimeout(r, 10));
    view = await api('');
  }
  const firstMessageSeconds = Number(process.hrtime.bigint() - sendStarted) / 1e9;

  // `campaigns status` over the API while the fan-out and the sending go on: 50 calls.
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = process.hrtime.bigint();
    view = await api('');
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 100));
  }
  times.sort((a, b) => a - b);
  // A small list (a trial run) may have finished already.
  if ((await api('')).status === 'running') await api('/cancel', 'POST');
  server.kill('SIGTERM');
  await once(server, 'exit');

  console.log(
    JSON.stringify({
      bench: 'ten-million',
      dialect: 'sqlite',
      subscribers,
      reusedDatabase: reuse,
      importSeconds: Math.round(importSeconds),
      importRowsPerSecond: Math.round(subscribers / importSeconds),
      databaseBytesPerSubscriber: Math.round(bytes / subscribers),
      sendAnsweredSeconds: Number(sendAnsweredSeconds.toFixed(2)),
      firstMessageSeconds: Number(firstMessageSeconds.toFixed(2)),
      queuedWhenMeasured: view.total,
      sentWhenMeasured: view.sent,
      statusMs: {
        p50: Number((times[25] ?? 0).toFixed(1)),
        p95: Number((times[47] ?? 0).toFixed(1)),
        max: Number((times[49] ?? 0).toFixed(1)),
      },
      target: { firstMessageSeconds: 5, statusMs: 50 },
    }),
  );
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
}
