import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { CLI_ARGS, cli, newInstance, type Instance } from '../helpers/listwarden.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('CLI errors are one sentence on stderr with a non-zero exit', () => {
  let fresh: TestDatabase;
  let instance: Instance;
  before(async () => {
    fresh = await sqlite.fresh();
    instance = newInstance(fresh.url);
  });
  after(async () => {
    await fresh.drop();
    instance.cleanup();
  });

  const oneSentence = (stderr: string) => {
    assert.equal(stderr.trim().split('\n').length, 1, `more than one line: ${stderr}`);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  };

  it('for bad configuration, bad arguments and bad files', async () => {
    // A command that reads the configuration (`lists list` reads the database alone, to answer at once).
    const badEnv = await cli({ ...instance, env: { ...instance.env, LISTWARDEN_PORT: 'eighty' } }, [
      'settings',
      'list',
    ]);
    assert.equal(badEnv.code, 1);
    assert.match(badEnv.stderr, /^listwarden: LISTWARDEN_PORT /);
    oneSentence(badEnv.stderr);

    const badSlug = await cli(instance, ['lists', 'create', 'Bad Slug', '--name', 'x', '--from', 'x@shop.test']);
    assert.equal(badSlug.code, 1);
    assert.match(badSlug.stderr, /slug/);
    oneSentence(badSlug.stderr);

    assert.equal(
      (await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test'])).code,
      0,
    );
    const file = join(instance.dir, 'no-email.csv');
    writeFileSync(file, 'name,city\nAnn,Delft\n');
    const badCsv = await cli(instance, ['import', file, '--list', 'news', '--source', 'a test file']);
    assert.equal(badCsv.code, 1);
    assert.match(badCsv.stderr, /^listwarden: line 1: the header row needs an "email" column/);
    oneSentence(badCsv.stderr);

    const badEmail = await cli(instance, ['subscribers', 'show', 'not-an-address']);
    assert.equal(badEmail.code, 1);
    assert.match(badEmail.stderr, /needs an @/);

    const unknown = await cli(instance, ['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);

    const missingOption = await cli(instance, ['consent', 'proof', 'a@example.test']);
    assert.equal(missingOption.code, 2);
    assert.match(missingOption.stderr, /required option '--list <slug>'/);

    const badFeedback = await cli(instance, ['feedback', 'ingest', join(instance.dir, 'missing.mbox')]);
    assert.equal(badFeedback.code, 1);
    assert.match(badFeedback.stderr, /Cannot read .*missing\.mbox: no such file or folder/);
    oneSentence(badFeedback.stderr);
  });

  it('in an empty folder, creates nothing and says where the database should be', async () => {
    const empty = newInstance('sqlite:unused');
    try {
      delete empty.env.LISTWARDEN_DATABASE_URL;
      delete empty.env.LISTWARDEN_DATA_DIR;
      delete empty.env.LISTWARDEN_SECRET;
      const listed = await cli(empty, ['lists', 'list']);
      assert.equal(listed.code, 1);
      oneSentence(listed.stderr);
      assert.match(
        listed.stderr,
        /No Listwarden database at \.\/data\/listwarden\.db; run this where the server runs, or set LISTWARDEN_DATA_DIR/,
      );
      assert.deepEqual(readdirSync(empty.dir), [], 'no database, no secret, no folder');
      const audit = await cli(empty, ['audit', '--only', 'secrets', '--json']);
      assert.deepEqual(readdirSync(empty.dir), [], `audit created nothing (${audit.stderr})`);
      const init = await cli(empty, ['init']);
      assert.equal(init.code, 0, init.stderr);
      assert.ok(existsSync(join(empty.dir, 'data', 'listwarden.db')) && existsSync(join(empty.dir, 'data', 'secret')));
      assert.equal((await cli(empty, ['lists', 'list'])).code, 0);
    } finally {
      empty.cleanup();
    }
  });

  it('ends quietly when the reader of its output goes away (| head)', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `pipe${i}@example.test`).join('\n');
    const csv = join(instance.dir, 'pipe.csv');
    writeFileSync(csv, `email\n${rows}\n`);
    assert.equal((await cli(instance, ['lists', 'create', 'pipe', '--name', 'Pipe', '--from', 'p@shop.test'])).code, 0);
    assert.equal((await cli(instance, ['import', csv, '--list', 'pipe', '--source', 'test'])).code, 0);
    const child = spawn(process.execPath, [...CLI_ARGS, 'subscribers', 'list', '--list', 'pipe', '--limit', '1000'], {
      cwd: instance.dir,
      env: instance.env,
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    // Like `| head -0`: the reader closes the pipe before the CLI writes.
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(stderr, '', 'nothing on stderr');
    assert.equal(code, 0);
  });

  it('when the HTTP port is taken: one sentence, and nothing said to be listening', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const port = (blocker.address() as { port: number }).port;
      const taken = await cli(
        { ...instance, env: { ...instance.env, LISTWARDEN_PORT: String(port), LISTWARDEN_INBOUND_PORT: '0' } },
        ['serve'],
      );
      assert.equal(taken.code, 1);
      oneSentence(taken.stderr);
      assert.match(
        taken.stderr,
        new RegExp(`HTTP port 127\\.0\\.0\\.1:${port} is already in use; set LISTWARDEN_PORT`),
      );
      assert.doesNotMatch(taken.stdout + taken.stderr, /listening/i);
    } finally {
      blocker.close();
    }
  });

  it('when the inbound SMTP port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const port = (blocker.address() as { port: number }).port;
      const taken = await cli(
        { ...instance, env: { ...instance.env, LISTWARDEN_INBOUND_PORT: String(port), LISTWARDEN_PORT: '0' } },
        ['serve'],
      );
      assert.equal(taken.code, 1);
      assert.match(
        taken.stderr,
        new RegExp(`inbound SMTP port 127\\.0\\.0\\.1:${port} is already in use; set LISTWARDEN_INBOUND_PORT`),
      );
    } finally {
      blocker.close();
    }
  });
});
