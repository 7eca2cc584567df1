import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { openDatabase, type Database } from '../../src/db/database.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { postForm, postJson } from '../helpers/http.js';
import {
  capturedMails,
  cli,
  confirmLink,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

// Distinctive strings: the address, the name typed into the form, the browser, the IP's tail.
const EMAIL = 'zelda.erasure@example.test';
const PERSONAL = [/zelda\.erasure/i, /Quintessa/i, /ErasureBrowser/i];

async function deliver(port: number, to: string, raw: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: '', to: [to] }, raw });
  } finally {
    transport.close();
  }
}

/** Every cell of every table as text (bytes as UTF-8), to prove what a table still holds. */
async function everyCell(database: Database): Promise<string> {
  const tables =
    database.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(database.db)
      : await sql<{
          name: string;
        }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(database.db);
  const parts: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(database.db);
    parts.push(
      JSON.stringify(rows.rows, (_key, value: unknown) =>
        value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer'
          ? Buffer.from((value as { data: number[] }).data).toString('utf8')
          : value,
      ),
    );
  }
  return parts.join('\n');
}

for (const dialect of DIALECTS) {
  describe(`erasure erases on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let db: Database;

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url);
      const created = await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
      assert.equal(created.code, 0, created.stderr);
      server = await startServer(instance);
      db = openDatabase(fresh.url);
    });

    after(async () => {
      await db?.close();
      await server?.stop();
      instance?.cleanup();
      await fresh?.drop();
    });

    it('leaves the address in no table, database file, WAL, quarantine or captured mail; a later signup stores nothing', async () => {
      const headers = { 'user-agent': 'ErasureBrowser/1.0' };
      const signup = await postJson(
        `${server.url}/api/v1/public/lists/news/subscribe`,
        { email: EMAIL, name: 'Zelda Quintessa' },
        headers,
      );
      assert.equal(signup.status, 202, signup.text);
      const [mail] = await waitForMails(instance.captureDir, EMAIL);
      const confirmed = await postForm(confirmLink(mail!), {}, headers);
      assert.equal(confirmed.status, 200, confirmed.text);
      // A forged bounce naming the address (stored unverified, with the address) and a message the
      // parser cannot read that quotes it (quarantined, raw).
      await deliver(
        server.inboundPort,
        'bounces@shop.test',
        fixture('postfix-dsn.eml', { MSGID: 'made-up@evil.example', RCPT: EMAIL, VERP: 'bounces@shop.test' }),
      );
      await deliver(server.inboundPort, 'bounces@shop.test', `Subject: about ${EMAIL}\r\n\r\nZelda Quintessa\r\n`);
      // Somebody else's real return path used to report this address: unverified, and what we wrote
      // about it (action, why) names the address.
      assert.equal(
        (await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'other@example.test' })).status,
        202,
      );
      const [other] = await waitForMails(instance.captureDir, 'other@example.test');
      const otherMessageId = /^Message-ID: <([^>]+)>/m.exec(other!.raw)?.[1] ?? '';
      await deliver(
        server.inboundPort,
        other!.returnPath,
        fixture('postfix-dsn.eml', { MSGID: otherMessageId, RCPT: EMAIL, VERP: other!.returnPath }),
      );
      const named = await db.db.selectFrom('feedback_events').select(['action', 'why']).execute();
      assert.ok(
        named.some((e) => /zelda\.erasure/i.test(`${e.action} ${e.why}`)),
        'the unverified report names the address in what we wrote',
      );
      const before = await everyCell(db);
      for (const personal of PERSONAL) assert.match(before, personal, 'the test holds data to erase');
      const quarantined = await db.db.selectFrom('feedback_quarantine').select('id').execute();
      assert.ok(quarantined.length >= 1, 'the unreadable message was quarantined');

      const erased = await cli(instance, ['subscribers', 'erase', EMAIL, '--json']);
      assert.equal(erased.code, 0, erased.stderr);

      const after = await everyCell(db);
      for (const personal of PERSONAL) assert.doesNotMatch(after, personal, `${personal} survived in a table`);
      if (dialect.name === 'sqlite') {
        const file = fresh.url.slice('sqlite:'.length);
        for (const path of [file, `${file}-wal`, `${file}-shm`]) {
          if (!existsSync(path)) continue;
          const bytes = readFileSync(path).toString('latin1');
          for (const personal of PERSONAL) assert.doesNotMatch(bytes, personal, `${personal} survived in ${path}`);
        }
      }
      for (const name of existsSync(instance.captureDir) ? readdirSync(instance.captureDir) : []) {
        const bytes = readFileSync(join(instance.captureDir, name), 'utf8');
        assert.doesNotMatch(bytes, /zelda\.erasure/i, `captured mail ${name} still names the address`);
      }

      // An outside signup of the erased address is answered as usual and stores nothing about the person.
      const again = await postJson(
        `${server.url}/api/v1/public/lists/news/subscribe`,
        { email: EMAIL, name: 'Zelda Quintessa' },
        headers,
      );
      assert.equal(again.status, 202, again.text);
      const rows = await db.db.selectFrom('subscribers').select('email').execute();
      assert.deepEqual(
        rows.map((r) => r.email),
        ['other@example.test'],
        'no subscriber row was recreated',
      );
      const last = await db.db
        .selectFrom('consent_events')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      assert.equal(last.type, 'signup');
      assert.equal(last.subscriber_id, null);
      assert.equal(last.ip, null);
      assert.equal(last.user_agent, null);
      const later = await everyCell(db);
      for (const personal of PERSONAL) assert.doesNotMatch(later, personal, `${personal} came back with the signup`);
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.equal(
        (await capturedMails(instance.captureDir)).filter((m) => /zelda\.erasure/i.test(m.to)).length,
        0,
        'no mail to the erased address',
      );
    });
  });
}
