// npm run bench:import — the real `listwarden import` (built JS, SQLite by default or
// --postgres URL) reads a generated 1,000,000-row CSV; prints one JSON line with rows/s and
// the import process's peak RSS (VmHWM), sampled from /proc while it runs. BENCH_IMPORT_NODE_ARGS
// adds flags such as --cpu-prof to the import process only.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/listwarden.js');
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, postgres: { type: 'string' } },
});
const rows = Number(values.rows);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-import-'));
const file = join(dir, 'customers.csv');
const env = {
  ...process.env,
  LISTWARDEN_DATABASE_URL: values.postgres ?? `sqlite:${join(dir, 'bench.db')}`,
  LISTWARDEN_DATA_DIR: join(dir, 'data'),
  LISTWARDEN_SMTP_URL: `capture:${join(dir, 'outbox')}`,
  LISTWARDEN_REPERMISSION_PER_HOUR: '100000',
};

async function writeCsv(): Promise<void> {
  const out = createWriteStream(file);
  out.write('email,name,city,customer_id\n');
  const cities = ['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag', 'Eindhoven'];
  for (let i = 0; i < rows; i++) {
    if (!out.write(`customer${i}@example${i % 997}.test,Customer ${i},${cities[i % 5]},${100000 + i}\n`))
      await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`listwarden ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function peakRssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

try {
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
  await writeCsv();
  const slug = `bench-${Date.now()}`;
  // A fresh database, as `listwarden init` makes it (other commands never create one).
  run(['init']);
  run(['lists', 'create', slug, '--name', 'Bench', '--from', 'bench@shop.test']);
  const started = process.hrtime.bigint();
  const nodeArgs = (process.env.BENCH_IMPORT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, BIN, 'import', file, '--list', slug, '--source', 'benchmark', '--json'],
    {
      env,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid as number))), 25);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`import failed: ${stderr}`);
  const report = JSON.parse(stdout) as { imported: number; invalid: number };
  console.log(
    JSON.stringify({
      bench: 'import',
      dialect: values.postgres ? 'postgres' : 'sqlite',
      rows,
      imported: report.imported,
      invalid: report.invalid,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(rows / seconds),
      peakRssMB: Math.round(peak / 1024),
      targetRowsPerSecond: 100_000,
      targetPeakRssMB: 200,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
