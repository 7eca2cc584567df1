// npm run bench:feedback — `listwarden feedback ingest <folder>` (built JS, SQLite) reads a folder
// of mixed bounce and complaint reports, one per recipient of a sent campaign, and applies them.
// Prints one JSON line: messages/s and the ingest process's peak RSS, and the parser alone on one
// core over the 314 real reports of test/fixtures/bounce-corpus (parseMessagesPerSecond).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { fanOut } from '../src/campaigns/fan-out.js';
import { moveCampaign } from '../src/campaigns/campaigns.repo.js';
import { createServices } from '../src/main.js';
import { parseFeedback } from '../src/feedback/parse-feedback.js';
import { createVerpCodec } from '../src/mail/verp.js';
import { createLogger } from '../src/shared/logger.js';
import { fixture } from '../test/helpers/feedback-fixtures.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/listwarden.js');
const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' } } });
const messages = Number(values.messages);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-feedback-'));
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';

/** The mix of report styles, weighted roughly as a shop's bounce mailbox sees them. */
const MIX: Array<[string, number]> = [
  ['postfix-dsn.eml', 30],
  ['gmail-dsn.eml', 15],
  ['exchange-o365.eml', 8],
  ['exim.eml', 7],
  ['qmail.eml', 3],
  ['yahoo.eml', 4],
  ['sendmail.eml', 3],
  ['postfix-delayed.eml', 6],
  ['exim-quota.eml', 4],
  ['arf.eml', 10],
  ['yahoo-cfl.eml', 4],
  ['jmrp.eml', 3],
  ['auto-reply.eml', 3],
];
const wheel = MIX.flatMap(([name, weight]) => Array.from({ length: weight }, () => name));

/** The parser alone, in this process (one core), over the real corpus: a warm-up round, then 20 rounds. */
function parseSpeed(): number {
  const corpus = join(ROOT, 'test/fixtures/bounce-corpus/messages');
  const files = readdirSync(corpus).map((name) => readFileSync(join(corpus, name)));
  for (const file of files) parseFeedback(file);
  const started = process.hrtime.bigint();
  for (let round = 0; round < 20; round++) for (const file of files) parseFeedback(file);
  return Math.round((files.length * 20) / (Number(process.hrtime.bigint() - started) / 1e9));
}

function peakRssKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

try {
  const build = process.env.BENCH_NO_BUILD
    ? { status: 0, stderr: '' }
    : spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const env = {
    ...process.env,
    LISTWARDEN_DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
    LISTWARDEN_DATA_DIR: join(dir, 'data'),
    LISTWARDEN_SECRET: SECRET,
    LISTWARDEN_SMTP_URL: `capture:${join(dir, 'outbox')}`,
    LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
    LISTWARDEN_LOG_LEVEL: 'warn',
  };

  // A list of `messages` confirmed subscribers and a campaign sent to all of them.
  const csv = join(dir, 'people.csv');
  writeFileSync(
    csv,
    [
      'email,name,confirmed_at,confirm_ip',
      ...Array.from({ length: messages }, (_, i) => `c${i}@example${i % 997}.net,C${i},2025-01-01T00:00:00Z,192.0.2.1`),
    ].join('\n') + '\n',
  );
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // A fresh database, as `listwarden init` makes it (other commands never create one).
  run(['init']);
  run(['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
  run(['import', csv, '--list', 'news', '--source', 'benchmark', '--with-proof']);
  const services = await createServices(loadConfig(env), { logger: createLogger('silent') });
  const list = await services.lists.requireList('news');
  const { id } = await services.campaigns.create({
    list: 'news',
    subject: 'Winter sale',
    html: '<p>Hi</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
  });
  await moveCampaign(services.database.db, id, ['draft'], 'running', Date.now());
  await fanOut(services.database, { id, list_id: list.id }, 'shop.test', 5000);
  // Delivered (marking rows sent stands in for the SMTP part, measured by bench:send).
  await services.database.db
    .updateTable('outbox')
    .set({ status: 'sent', sent_at: Date.now() })
    .where('campaign_id', '=', id)
    .execute();
  await moveCampaign(services.database.db, id, ['running'], 'finished', Date.now());
  const rows = await services.database.db
    .selectFrom('outbox as o')
    .innerJoin('subscribers as s', 's.id', 'o.subscriber_id')
    .select(['o.id', 'o.message_id', 's.email'])
    .where('o.campaign_id', '=', id)
    .orderBy('o.id')
    .execute();
  await services.close();

  // One report per recipient, written to a folder, as a bounce mailbox exported to files.
  const verp = createVerpCodec([SECRET]);
  const folder = join(dir, 'reports');
  mkdirSync(folder);
  const templates = new Map(
    MIX.map(([name]) => [name, fixture(name, { RCPT: '{{RCPT}}', VERP: '{{VERP}}', MSGID: '{{MSGID}}' })]),
  );
  rows.forEach((row, i) => {
    const name = wheel[i % wheel.length] as string;
    const raw = (templates.get(name) as string)
      .replaceAll('{{RCPT}}', row.email)
      .replaceAll('{{VERP}}', verp.address(Number(row.id), 'shop.test'))
      .replaceAll('{{MSGID}}', row.message_id.replace(/^<|>$/g, ''))
      .replace(/^Message-I[Dd]: <([^>]+)>/m, `Message-ID: <report-${i}-$1>`);
    writeFileSync(join(folder, `${String(i).padStart(7, '0')}.eml`), raw);
  });

  const started = process.hrtime.bigint();
  // BENCH_NODE_ARGS passes flags such as --cpu-prof to the ingest process only.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'feedback', 'ingest', folder, '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid as number))), 100);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`ingest failed: ${err}`);
  if (process.env.BENCH_SHOW_STDERR) process.stderr.write(err);
  const summary = JSON.parse(out) as {
    messages: number;
    applied: number;
    quarantined: number;
    kinds: Record<string, number>;
  };
  console.log(
    JSON.stringify({
      bench: 'feedback',
      messages: summary.messages,
      applied: summary.applied,
      quarantined: summary.quarantined,
      kinds: summary.kinds,
      seconds: Number(seconds.toFixed(1)),
      messagesPerSecond: Math.round(summary.messages / seconds),
      peakRssMB: Math.round(peak / 1024),
      parseMessagesPerSecond: parseSpeed(),
      target: { messagesPerSecond: 2000, parseMessagesPerSecond: 5000 },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
