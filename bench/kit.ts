// What the benchmarks that run the real server share: the built CLI, free ports, the build, CLI
// commands, and `serve` started and waited for.
import { spawn, spawnSync, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { generateKeyPairSync } from 'node:crypto';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/listwarden.js');

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

/** `npm run build`; BENCH_NO_BUILD=1 measures dist/ as it is (for instrumented builds). */
export function build(): void {
  if (process.env.BENCH_NO_BUILD) return;
  const result = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed: ${result.stderr}${result.stdout}`);
}

/** A runner of `listwarden <args>` with `env`, returning its standard output. */
export function cliWith(env: NodeJS.ProcessEnv): (args: string[]) => string {
  return (args) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`listwarden ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
}

/**
 * Creates a campaign to the list "news" through the CLI from an HTML file, with the given layout
 * (the CLI's default when none is given); its id.
 */
export function createCampaign(
  run: (args: string[]) => string,
  campaign: { subject: string; htmlFile: string; layout?: string },
): number {
  const layout = campaign.layout ? ['--layout', campaign.layout] : [];
  const args = ['campaigns', 'create', '--list', 'news', '--subject', campaign.subject, '--html', campaign.htmlFile];
  return (JSON.parse(run([...args, ...layout, '--json'])) as { id: number }).id;
}

/**
 * How `npm start` and docs/scaling.md run `serve`: a 192 MB old-generation limit (without one V8
 * lets the heap grow lazily towards gigabytes: 290 MB of RSS at 30,000 messages instead of 230,
 * for the same throughput) and an 8 MB semi-space (with the server's 8 MiB SQLite cache: 276 → 213
 * MB at 60,000 messages, at the same rate).
 */
export const SERVE_NODE_ARGS = ['--max-old-space-size=192', '--max-semi-space-size=8'];

/**
 * Starts `listwarden serve` (or `serve --worker-only`) and resolves once it runs (for a full serve:
 * once its /healthz answers). BENCH_SERVER_NODE_ARGS adds flags such as --cpu-prof to the server
 * process only; BENCH_SHOW_STDERR shows its stderr.
 */
export function spawnServe(env: NodeJS.ProcessEnv, args: string[] = []): ChildProcessByStdio<null, Readable, Readable> {
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...SERVE_NODE_ARGS, ...nodeArgs, BIN, 'serve', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function startServe(env: NodeJS.ProcessEnv, httpPort: number): Promise<ChildProcess> {
  const server = spawnServe(env);
  let log = '';
  server.stdout.on('data', (d) => (log = (log + String(d)).slice(-4000)));
  server.stderr.on('data', (d) => {
    log = (log + String(d)).slice(-4000);
    if (process.env.BENCH_SHOW_STDERR) process.stderr.write(d);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || server.exitCode !== null) {
      server.kill('SIGKILL');
      throw new Error(`server did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * postfix's smtp-sink on a free loopback port and the environment of a sending `serve` (and its
 * CLI) against it, DNS refused at once (pacing's MX lookups). Campaign mail is signed with the
 * RSA-2048 key at <dir>/dkim.pem (made when missing); `keyFile: false` leaves the key file out
 * (mail signed by a domain's stored key instead).
 */
export async function sendingSetup(
  dir: string,
  databaseUrl: string,
  options: { keyFile?: boolean } = {},
): Promise<{ sink: ChildProcess; sinkPort: number; httpPort: number; env: NodeJS.ProcessEnv }> {
  const keyFile = options.keyFile ?? true;
  if (keyFile && !existsSync(join(dir, 'dkim.pem'))) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }
  const sinkPort = await freePort();
  const httpPort = await freePort();
  const sink = spawn('smtp-sink', ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '1000'], { stdio: 'ignore' });
  const env = {
    ...process.env,
    LISTWARDEN_DATABASE_URL: databaseUrl,
    LISTWARDEN_DATA_DIR: join(dir, 'data'),
    LISTWARDEN_SMTP_URL: `smtp://127.0.0.1:${sinkPort}`,
    LISTWARDEN_PORT: String(httpPort),
    LISTWARDEN_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
    LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Keizersgracht 1, 1015 CJ Amsterdam',
    ...(keyFile
      ? {
          LISTWARDEN_DKIM_DOMAIN: 'shop.test',
          LISTWARDEN_DKIM_SELECTOR: 'bench',
          LISTWARDEN_DKIM_KEY_FILE: join(dir, 'dkim.pem'),
        }
      : {}),
    LISTWARDEN_LOG_LEVEL: 'warn',
    LISTWARDEN_INBOUND_PORT: '0',
    // Loopback only: the recipients' MX lookups for pacing are refused at once.
    LISTWARDEN_DNS_SERVERS: '127.0.0.1:9',
  };
  return { sink, sinkPort, httpPort, env };
}

/**
 * A fresh database with the list `news` ("Shop News <news@shop.test>") and `count` customers
 * imported into it with proof (writeCustomersCsv), as the sending benches start.
 */
export async function newsListWithCustomers(run: (args: string[]) => string, dir: string, count: number) {
  run(['init']);
  run(['lists', 'create', 'news', '--name', 'Shop News', '--from', 'Shop News <news@shop.test>']);
  const csv = join(dir, 'subscribers.csv');
  await writeCustomersCsv(csv, count);
  run(['import', csv, '--list', 'news', '--source', 'benchmark', '--with-proof']);
}

/** `count` customers with proof of their confirmation, spread over 997 domains, as a CSV file. */
export async function writeCustomersCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('email,name,city,confirmed_at,confirm_ip\n');
  for (let i = 0; i < count; i++) {
    if (!out.write(`c${i}@example${i % 997}.test,Customer ${i},Delft,2025-01-01T00:00:00Z,192.0.2.1\n`))
      await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
