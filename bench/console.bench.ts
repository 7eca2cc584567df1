// npm run bench:console — the real `listwarden serve` (built JS) on SQLite with 1,000,000
// subscribers (imported with proof), 100 campaigns and an owner; each console page is fetched
// with the owner's session, one request at a time, and the p95 of each page is printed as one
// JSON line (loopback, so the time is the server's). Target: every page under 100 ms.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/listwarden.js');
const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000000' },
    campaigns: { type: 'string', default: '100' },
    requests: { type: 'string', default: '40' },
    // Then a CSV of this many new rows is uploaded and imported through the console's import page.
    'import-rows': { type: 'string', default: '1000000' },
  },
});
const importRows = Number(values['import-rows']);
const total = Number(values.subscribers);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-console-'));
const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  LISTWARDEN_DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
  LISTWARDEN_DATA_DIR: join(dir, 'data'),
  LISTWARDEN_SMTP_URL: `capture:${join(dir, 'outbox')}`,
  LISTWARDEN_PORT: String(port),
  LISTWARDEN_PUBLIC_URL: base,
  LISTWARDEN_VERIFY_DOMAINS: 'false',
  LISTWARDEN_DNS_SERVERS: '127.0.0.1:9',
  LISTWARDEN_AUDIT_INTERVAL_MINUTES: '0',
};

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`listwarden ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function writeCsv(file: string, rows = total, prefix = 'customer'): Promise<void> {
  const out = createWriteStream(file);
  out.write('email,name,confirmed_at,confirm_ip,city\n');
  const cities = ['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag', 'Eindhoven'];
  for (let i = 0; i < rows; i++) {
    const line = `${prefix}${i}@example${i % 997}.test,Customer ${i},2025-03-01T10:00:00Z,192.0.2.${i % 250},${cities[i % 5]}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** A tiny cookie jar: what the server set, sent back. */
const jar = new Map<string, string>();
async function get(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${base}${path}`, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
  });
  for (const c of response.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, v] = (pair as string).split('=');
    if (k && v !== undefined) jar.set(k, v);
  }
  return response;
}

function peakRssKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const p95 = (times: number[]) => [...times].sort((a, b) => a - b)[Math.ceil(times.length * 0.95) - 1] as number;

let server: ReturnType<typeof spawn> | undefined;
try {
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
  const csv = join(dir, 'customers.csv');
  await writeCsv(csv);
  run(['init']);
  run(['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
  const seeded = process.hrtime.bigint();
  run(['import', csv, '--list', 'news', '--source', 'benchmark', '--with-proof', '--json']);
  run(['users', 'create', '--email', 'owner@shop.test', '--role', 'owner', '--password', 'a bench owner password']);
  const key = (JSON.parse(run(['apikeys', 'create', '--name', 'bench', '--json'])) as { key: string }).key;

  server = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  server.stdout?.on('data', (d) => (log = (log + String(d)).slice(-4096)));
  const deadline = Date.now() + 30_000;
  while (!log.includes('listwarden is listening')) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const html = '<p>Hello {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
  let campaignId = 0;
  for (let i = 0; i < Number(values.campaigns); i++) {
    const made = await fetch(`${base}/api/v1/campaigns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ list: 'news', subject: `Campaign ${i}`, html }),
    });
    if (made.status !== 201) throw new Error(`campaign: ${made.status} ${await made.text()}`);
    campaignId = ((await made.json()) as { id: number }).id;
  }
  const seedSeconds = Number(process.hrtime.bigint() - seeded) / 1e9;

  // Sign in as a browser does: the login page sets the form token, the post starts the session.
  const login = await (await get('/')).text();
  const formToken = /name="_csrf" value="([^"]+)"/.exec(login)?.[1] ?? '';
  const signedIn = await get('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: formToken, email: 'owner@shop.test', password: 'a bench owner password' }),
  });
  if (signedIn.status !== 303 || !jar.has('lw_session')) throw new Error(`login failed: ${signedIn.status}`);

  const middle = Math.floor(total / 2);
  const pages: Record<string, string> = {
    dashboard: '/console',
    lists: '/console/lists',
    list: '/console/lists/news',
    'subscribers: address prefix': `/console/subscribers?q=customer${middle}`,
    'subscribers: name prefix': `/console/subscribers?q=customer%20${Math.floor(middle / 10)}&by=name`,
    'subscribers: list page': '/console/subscribers?list=news&status=confirmed',
    'subscribers: a deep page': `/console/subscribers?list=news&status=confirmed&after=${middle}`,
    person: `/console/person?email=customer${middle}%40example${middle % 997}.test`,
    proof: `/console/person/proof?email=customer${middle}%40example${middle % 997}.test&list=news`,
    campaigns: '/console/campaigns',
    campaign: `/console/campaigns/${campaignId}`,
    editor: '/console/campaigns/new',
    import: '/console/import',
    feedback: '/console/feedback',
    reputation: '/console/reputation',
    audit: '/console/audit',
    activity: '/console/activity',
    settings: '/console/settings',
  };
  const results: Record<string, number> = {};
  for (const [name, path] of Object.entries(pages)) {
    const times: number[] = [];
    for (let i = 0; i < Number(values.requests) + 3; i++) {
      const started = process.hrtime.bigint();
      const response = await get(path);
      await response.arrayBuffer();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (response.status !== 200) throw new Error(`${name} (${path}) answered ${response.status}`);
      if (i >= 3) times.push(ms); // the first requests warm caches and compile templates
    }
    results[name] = Math.round(p95(times) * 10) / 10;
  }
  // The console's import: the upload streamed to disk, the columns as guessed, with proof.
  let consoleImport: Record<string, number> | undefined;
  if (importRows > 0) {
    const upload = join(dir, 'upload.csv');
    await writeCsv(upload, importRows, 'upload');
    const page = await (await get('/console/import')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const form = new FormData();
    form.append('_csrf', csrf);
    form.append('file', await openAsBlob(upload, { type: 'text/csv' }), 'upload.csv');
    const started = process.hrtime.bigint();
    const uploaded = await get('/console/import', { method: 'POST', body: form });
    const jobPath = uploaded.headers.get('location') ?? '';
    if (uploaded.status !== 303 || !/^\/console\/import\/[\w-]{22}$/.test(jobPath))
      throw new Error(`upload answered ${uploaded.status}: ${await uploaded.text()}`);
    const uploadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const startForm = new URLSearchParams({ _csrf: csrf, list: 'news', source: 'bench upload', with_proof: 'yes' });
    ['email', 'name', 'confirmed_at', 'confirm_ip', 'city'].forEach((c, i) => startForm.set(`column_${i}`, c));
    const begun = await get(`${jobPath}/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: startForm,
    });
    if (begun.status !== 303) throw new Error(`start answered ${begun.status}: ${await begun.text()}`);
    for (;;) {
      const text = await (await get(jobPath)).text();
      if (/Done: \d+ rows read/.test(text)) break;
      if (/The import stopped/.test(text)) throw new Error(`import failed: ${text.slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    consoleImport = {
      rows: importRows,
      uploadSeconds: Number(uploadSeconds.toFixed(1)),
      seconds: Number(seconds.toFixed(1)),
      rowsPerSecond: Math.round(importRows / seconds),
      serverPeakRssMB: Math.round(peakRssKb(server.pid as number) / 1024),
    };
  }
  const slowest = Object.entries(results).sort((a, b) => b[1] - a[1])[0] as [string, number];
  console.log(
    JSON.stringify({
      bench: 'console',
      subscribers: total,
      campaigns: Number(values.campaigns),
      seedSeconds: Math.round(seedSeconds),
      requestsPerPage: Number(values.requests),
      p95Ms: results,
      slowest: { page: slowest[0], p95Ms: slowest[1] },
      targetMs: 100,
      ...(consoleImport ? { consoleImport } : {}),
    }),
  );
} finally {
  server?.kill('SIGTERM');
  if (server && server.exitCode === null) await once(server, 'exit');
  rmSync(dir, { recursive: true, force: true });
}
