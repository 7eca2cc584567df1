// npm run bench:signup — the real `listwarden serve` (built JS) on SQLite with the capture outbox,
// loaded with JSON signups of distinct addresses by autocannon on loopback (per-IP limit raised).
// Prints one JSON line: requests/s, latency percentiles, and whether every 202 is in the database.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openDatabase } from '../src/db/database.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/listwarden.js');
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
    postgres: { type: 'string' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-signup-'));
const databaseUrl = values.postgres ?? `sqlite:${join(dir, 'bench.db')}`;

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const env = {
  ...process.env,
  LISTWARDEN_DATABASE_URL: databaseUrl,
  LISTWARDEN_DATA_DIR: join(dir, 'data'),
  LISTWARDEN_SMTP_URL: `capture:${join(dir, 'outbox')}`,
  LISTWARDEN_PORT: String(port),
  LISTWARDEN_PUBLIC_URL: `http://127.0.0.1:${port}`,
  LISTWARDEN_VERIFY_DOMAINS: 'false',
  LISTWARDEN_SIGNUP_RATE_LIMIT: '100000000/minute',
};

function run(args: string[]): void {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`listwarden ${args.join(' ')} failed: ${r.stderr}`);
}

const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
// A fresh database, as `listwarden init` makes it (other commands never create one).
run(['init']);
run(['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
const server = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let log = '';
server.stdout.on('data', (d) => (log = (log + String(d)).slice(-4096)));
const deadline = Date.now() + 20_000;
while (!log.includes('listwarden is listening')) {
  if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start: ${log}`);
  await new Promise((r) => setTimeout(r, 50));
}
server.stdout.removeAllListeners('data');
server.stdout.resume();

let n = 0;
const run_ = `${Date.now()}`;
const result = await autocannon({
  url: `http://127.0.0.1:${port}/api/v1/public/lists/news/subscribe`,
  connections: Number(values.connections),
  duration: Number(values.seconds),
  requests: [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ email: `b${run_}-${n++}@example.test` }) }),
    },
  ],
});
server.kill('SIGTERM');
await once(server, 'exit');

const database = openDatabase(databaseUrl);
const stored = await database.db
  .selectFrom('consent_events')
  .select((s) => s.fn.countAll<number>().as('n'))
  .where('type', '=', 'signup')
  .executeTakeFirstOrThrow();
await database.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    bench: 'signup',
    dialect: values.postgres ? 'postgres' : 'sqlite',
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    requestsPerSecond: Math.round(result.requests.average),
    accepted: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    storedSignups: Number(stored.n),
    everyAcceptedStored: Number(stored.n) >= result['2xx'],
    target: { requestsPerSecond: 3000, p99Ms: 50 },
  }),
);
