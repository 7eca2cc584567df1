#!/usr/bin/env node
// Runs every test tier with node:test through tsx: unit tests beside the code (src/**/*.test.ts),
// then test/integration, test/peers and test/e2e. Arguments narrow the run to paths. The tests
// start the CLI and the server from the build (dist/), so it is built first when the sources
// are newer (test/helpers/listwarden.ts refuses an old build).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'test'];

function collect(path, out) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) {
    console.error(`run-tests: ${path} does not exist`);
    process.exit(2);
  }
  if (stat.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    collect(join(path, entry), out);
  }
  return out;
}

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}
const built = statSync(join(root, 'dist/cli/index.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (newest(join(root, 'src')) > built) {
  console.error('run-tests: building dist/ (npm run build), which the tests start');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const files = roots.flatMap((r) => collect(join(root, r), [])).map((f) => relative(root, f));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(2);
}
// A test that hangs fails after TEST_TIMEOUT_MS with its name; the whole run is stopped after
// RUN_TIMEOUT_MS with every process it started, so CI ends with a report instead of a timeout.
const TEST_TIMEOUT_MS = Number(process.env.LISTWARDEN_TEST_TIMEOUT_MS ?? 600_000);
const RUN_TIMEOUT_MS = Number(process.env.LISTWARDEN_RUN_TIMEOUT_MS ?? 25 * 60_000);
const CONCURRENCY = Number(process.env.LISTWARDEN_TEST_CONCURRENCY ?? 3);
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`, ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
    detached: true,
  },
);
const watchdog = setTimeout(() => {
  console.error(
    `run-tests: the test run did not finish within ${RUN_TIMEOUT_MS / 60_000} minutes; stopping it and every process it started`,
  );
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  process.exit(1);
}, RUN_TIMEOUT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    process.exit(1);
  });
}
child.on('exit', (code) => {
  clearTimeout(watchdog);
  process.exit(code ?? 1);
});
