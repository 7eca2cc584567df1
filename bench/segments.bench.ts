// npm run bench:segments — a segment's live count on a 1,000,000-subscriber SQLite list (issue 18's
// target: < 500 ms), through the real CLI. One JSON line: the count's own time as the service
// measures it (median and max of 5 runs, reader threads started by each CLI call) and the CLI's wall
// time, next to references measured in the same run: counting the whole list (no filter) the same
// way, and the segment counted in this process alternately on one connection and on the reader
// threads (`inProcess`, median of 5 each).
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/database.js';
import { createListsService } from '../src/lists/lists.service.js';
import { createSegmentsService } from '../src/segments/segments.service.js';
import { build, cliWith } from './kit.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    /** Keep the database in this folder (to look at it afterwards). */
    keep: { type: 'string' },
  },
});
const subscribers = Number(values.subscribers);
const runs = Number(values.runs);
const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'lw-bench-segments-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const DAY = 86_400_000;

try {
  build();
  const env = {
    ...process.env,
    LISTWARDEN_DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
    LISTWARDEN_DATA_DIR: join(dir, 'data'),
    LISTWARDEN_LOG_LEVEL: 'warn',
    LISTWARDEN_DNS_SERVERS: '127.0.0.1:9',
  };
  const run = cliWith(env);
  run(['init']);
  run(['lists', 'create', 'news', '--name', 'Shop News', '--from', 'Shop News <news@shop.test>']);
  for (const [name, type] of [
    ['country', 'string'],
    ['last_order_at', 'date'],
    ['spend', 'number'],
    ['tags', 'list'],
  ] as const)
    run(['attributes', 'define', name, '--list', 'news', '--type', type]);
  const csv = join(dir, 'people.csv');
  const out = createWriteStream(csv);
  out.write('email,name,country,last_order_at,spend,tags,confirmed_at,confirm_ip\n');
  const countries = ['NL', 'BE', 'DE', 'FR', 'NL', 'NL'];
  const tags = ['', 'vip', '"sale,b2b"', 'sale', '"vip,sale"'];
  const now = Date.now();
  for (let i = 0; i < subscribers; i++) {
    const ordered = new Date(now - (i % 365) * DAY).toISOString().slice(0, 10);
    const line = `c${i}@example${i % 997}.test,Customer ${i},${countries[i % 6]},${ordered},${(i % 500) + 0.5},${tags[i % 5]},2025-01-01T00:00:00Z,192.0.2.1\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const importStarted = performance.now();
  run(['import', csv, '--list', 'news', '--source', 'benchmark', '--with-proof']);
  const importSeconds = Math.round((performance.now() - importStarted) / 100) / 10;
  run(['segments', 'create', 'everyone', '--list', 'news', '--where', 'spend >= 0 or not spend exists']);
  run([
    'segments',
    'create',
    'recent-nl',
    '--list',
    'news',
    '--where',
    'country = "NL" and last_order_at > now - 90d and not tags contains "vip"',
  ]);
  const measure = (name: string) => {
    const service: number[] = [];
    const wall: number[] = [];
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const result = JSON.parse(run(['segments', 'count', name, '--json'])) as { count: number; milliseconds: number };
      wall.push(performance.now() - started);
      service.push(result.milliseconds);
      count = result.count;
    }
    return { count, ms: { median: median(service), max: Math.max(...service) }, cliWallMs: Math.round(median(wall)) };
  };
  const segment = measure('recent-nl');
  const reference = measure('everyone');
  const database = openDatabase(env.LISTWARDEN_DATABASE_URL);
  const lists = createListsService(database);
  const oneConnection = createSegmentsService({ database: { ...database, counter: undefined }, lists });
  const threads = createSegmentsService({ database, lists });
  const alternating = { oneConnection: [] as number[], threads: [] as number[] };
  await threads.count('recent-nl');
  for (let i = 0; i < runs; i++) {
    alternating.oneConnection.push((await oneConnection.count('recent-nl')).milliseconds);
    alternating.threads.push((await threads.count('recent-nl')).milliseconds);
  }
  await database.close();
  console.log(
    JSON.stringify({
      bench: 'segments',
      dialect: 'sqlite',
      subscribers,
      importSeconds,
      filter: 'country = "NL" and last_order_at > now - 90d and not tags contains "vip"',
      count: segment.count,
      countMs: segment.ms,
      cliWallMs: segment.cliWallMs,
      reference: { filter: 'spend >= 0 or not spend exists', count: reference.count, countMs: reference.ms },
      inProcess: {
        oneConnectionMs: median(alternating.oneConnection),
        threadsMs: median(alternating.threads),
        threads: Math.min(4, availableParallelism()),
      },
      target: { countMs: 500 },
    }),
  );
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
