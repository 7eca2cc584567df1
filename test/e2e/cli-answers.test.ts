import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { CLI_ARGS, cli, newInstance, startServer, type Instance } from '../helpers/listwarden.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

/** Runs the CLI on a real pseudo-terminal (util-linux `script`), typing `input`. */
function onTerminal(instance: Instance, args: string[], input: string): Promise<{ code: number; output: string }> {
  const command = [process.execPath, ...CLI_ARGS, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`);
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command.join(' '), '/dev/null'], { cwd: instance.dir, env: instance.env });
    let output = '';
    child.stdout.on('data', (d) => {
      output += String(d);
      // Answer once the question is on the screen.
      if (output.includes('Type "yes":') && input) {
        child.stdin.write(input);
        input = '';
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

describe('the CLI answers what a shop owner asks', () => {
  let fresh: TestDatabase;
  let instance: Instance;

  before(async () => {
    fresh = await sqlite.fresh();
    instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
    for (const slug of ['news', 'deals']) {
      const created = await cli(instance, ['lists', 'create', slug, '--name', slug, '--from', `${slug}@shop.test`]);
      assert.equal(created.code, 0, created.stderr);
    }
    const csv = join(instance.dir, 'people.csv');
    writeFileSync(csv, 'email;name\nann@example.test;Ann\nbob@example.test;Bob\n');
    const imported = await cli(instance, ['import', csv, '--list', 'news', '--source', 'Shop checkout 2025']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Read 2 rows: 2 imported.*\(semicolon-separated\)/);
    const deals = join(instance.dir, 'deals.csv');
    writeFileSync(deals, 'email\tname\nann@example.test\tAnn\n');
    assert.equal((await cli(instance, ['import', deals, '--list', 'deals', '--source', 'Deals 2025'])).code, 0);
  });

  after(async () => {
    instance?.cleanup();
    await fresh?.drop();
  });

  it('lists each person with their lists and statuses', async () => {
    const listed = await cli(instance, ['subscribers', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ann@example\.test\s+Ann\s+deals:pending news:pending/);
    assert.match(listed.stdout, /bob@example\.test\s+Bob\s+news:pending/);
  });

  it('shows the re-permission mails still waiting and when the last goes out', async () => {
    const status = await cli(instance, ['outbox', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /re-permission mails waiting: 3; the last goes out at \d{4}-\d\d-\d\dT/);
    const json = JSON.parse((await cli(instance, ['outbox', 'status', '--json'])).stdout);
    assert.equal(json.repermission.waiting, 3);
  });

  it('lists campaigns and prints its version', async () => {
    const campaigns = await cli(instance, ['campaigns', 'list', '--json']);
    assert.deepEqual(JSON.parse(campaigns.stdout), { campaigns: [] });
    assert.match((await cli(instance, ['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('serve writes readable lines and a short summary for people (LISTWARDEN_LOG_FORMAT=pretty)', async () => {
    const server = await startServer(instance, { LISTWARDEN_LOG_FORMAT: 'pretty' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const logs = server.logs();
      assert.match(logs, /\d\d:\d\d:\d\d info {2}listwarden is listening/);
      assert.match(logs, /Listwarden is running\.\n {2}pages and API {3}http:\/\/127\.0\.0\.1:\d+\//);
      assert.match(logs, /Open http:\/\/127\.0\.0\.1:\d+\/ for what to do next/);
      assert.ok(!logs.split('\n').some((line) => line.startsWith('{')), 'no JSON lines');
    } finally {
      await server.stop();
    }
  });

  it('shows import progress: a bar on a terminal, JSON lines on stderr with --json', async () => {
    const big = join(instance.dir, 'big.csv');
    writeFileSync(big, `email\n${Array.from({ length: 5000 }, (_, i) => `p${i}@example.test`).join('\n')}\n`);
    const json = await cli(instance, ['import', big, '--list', 'deals', '--source', 'Progress test', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).rows, 5000, 'stdout stays the report');
    const lines = json.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { progress: number; rows: number });
    assert.deepEqual(lines.at(-1), { progress: 1, rows: 5000 });
    const bigger = join(instance.dir, 'bigger.csv');
    writeFileSync(bigger, `email\n${Array.from({ length: 5000 }, (_, i) => `q${i}@example.test`).join('\n')}\n`);
    const bar = await onTerminal(instance, ['import', bigger, '--list', 'deals', '--source', 'Progress test'], '');
    assert.equal(bar.code, 0, bar.output);
    assert.match(bar.output, /\[#{30}\] 100% {2}5,000 rows/);
  });

  it('shows feedback ingest progress the same way', async () => {
    const folder = join(instance.dir, 'reports');
    mkdirSync(folder);
    for (let i = 0; i < 3; i++) writeFileSync(join(folder, `${i}.eml`), fixture('postfix-dsn.eml'));
    const json = await cli(instance, ['feedback', 'ingest', folder, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).messages, 3);
    assert.deepEqual(JSON.parse(json.stderr.trim().split('\n').at(-1) as string), { progress: 1, messages: 3 });
  });

  it('asks before erasing on a terminal, and not with --yes', async () => {
    const declined = await onTerminal(instance, ['subscribers', 'erase', 'bob@example.test'], 'no\n');
    assert.match(declined.output, /Erase everything held about bob@example\.test\? This cannot be undone/);
    assert.match(declined.output, /Nothing erased\./);
    assert.equal(declined.code, 1);
    assert.match((await cli(instance, ['subscribers', 'list'])).stdout, /bob@example\.test/);
    const agreed = await onTerminal(instance, ['subscribers', 'erase', 'bob@example.test'], 'yes\n');
    assert.match(agreed.output, /Erased\./);
    assert.equal(agreed.code, 0);
    // Not a terminal (a script): no question.
    const scripted = await cli(instance, ['subscribers', 'erase', 'ann@example.test', '--yes']);
    assert.match(scripted.stdout, /Erased\./);
  });
});
