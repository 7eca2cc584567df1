import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { releaseDueRepermissions } from '../../src/consent/repermission.js';
import { importCsv } from '../../src/consent/import.js';
import { DIALECTS } from '../helpers/databases.js';
import { FORM, servicesFor, type TestServices } from '../helpers/services.js';

const CSV = [
  'email,name,city',
  'ann@example.test,Ann,Delft',
  'not-an-address,Bob,Leiden',
  'carol@example.test,Carol',
  '"dave@example.test","Dave ""D"" Smith",Gouda',
  'ANN@example.test,Ann again,Delft',
  'erased@example.test,Eve,Utrecht',
  'existing@example.test,Ex,Breda',
  '',
  'frank@example.test,,',
].join('\n');

for (const dialect of DIALECTS) {
  describe(`CSV import on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect);
      await t.services.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await t.services.subscribers.erase('erased@example.test', {
        ip: null,
        userAgent: null,
        source: 'cli',
        channel: 'cli',
      });
      await t.services.signup({ list: 'news', email: 'existing@example.test' }, FORM);
    });
    after(() => t.cleanup());

    it('imports good rows as pending, reports bad rows by line, skips suppressed and existing', async () => {
      const s = t.services;
      const bad: string[] = [];
      const list = await s.lists.requireList('news');
      const report = await importCsv(s.database, Readable.from([CSV]), {
        list,
        source: 'Webshop customers who ticked the newsletter box, 2025 export',
        withProof: false,
        mailsPerHour: 3600,
        batchSize: 3,
        onBadRow: (line, reason) => bad.push(`${line}: ${reason}`),
      });
      assert.equal(report.rows, 8, 'the blank line is not a row');
      assert.equal(report.imported, 3, 'ann, dave and frank');
      assert.equal(report.invalid, 2);
      assert.deepEqual(
        report.errors.map((e) => e.line),
        [3, 4],
      );
      assert.match(bad[0]!, /^3: An email address needs an @/);
      assert.match(bad[1]!, /^4: expected 3 columns, found 2/);
      assert.equal(report.suppressed, 1);
      assert.equal(report.existing, 2, 'ANN duplicate in the file and the existing subscriber');
      assert.equal(report.confirmationMails, 3);

      const dave = await s.subscribers.show('dave@example.test');
      assert.equal(dave.name, 'Dave "D" Smith');
      assert.deepEqual(dave.attributes, { city: 'Gouda' });
      assert.equal(dave.subscriptions[0]!.status, 'pending');
      assert.equal(dave.events[0]!.type, 'imported');
      assert.equal(dave.events[0]!.source, 'Webshop customers who ticked the newsletter box, 2025 export');
      await assert.rejects(
        s.subscribers.show('erased@example.test'),
        { code: 'not_found' },
        'a suppressed address is not imported',
      );
      const existing = await s.subscribers.show('existing@example.test');
      assert.deepEqual(
        existing.events.map((e) => e.type),
        ['signup'],
        'an existing subscriber is left alone',
      );
    });

    it('throttles the re-permission mails and queues each when it is due', async () => {
      const s = t.services;
      const rows = await s.database.db
        .selectFrom('subscriptions')
        .select(['subscriber_id', 'repermission_at'])
        .where('repermission_at', 'is not', null)
        .orderBy('repermission_at')
        .execute();
      assert.equal(rows.length, 3);
      for (let i = 1; i < rows.length; i++)
        assert.ok(rows[i]!.repermission_at! - rows[i - 1]!.repermission_at! >= 999, 'one per second at 3600/h');
      const queuedBefore = await s.database.db
        .selectFrom('outbox')
        .select('id')
        .where('status', '=', 'queued')
        .execute();
      assert.equal(await releaseDueRepermissions(s.database, rows[0]!.repermission_at!), 1, 'only the first is due');
      assert.equal(await releaseDueRepermissions(s.database, rows[2]!.repermission_at! + 1), 2);
      assert.equal(
        await releaseDueRepermissions(s.database, rows[2]!.repermission_at! + 1),
        0,
        'each is released once',
      );
      const queued = await s.database.db.selectFrom('outbox').select('id').where('status', '=', 'queued').execute();
      assert.equal(queued.length - queuedBefore.length, 3);
      // The test moved the clock forward for the release; bring those mails due now.
      await s.database.db.updateTable('outbox').set({ next_attempt_at: 0 }).where('status', '=', 'queued').execute();
      assert.equal(await s.worker.drain(), queued.length);
      const dave = await s.subscribers.show('dave@example.test');
      assert.deepEqual(
        dave.events.map((e) => e.type),
        ['imported', 'confirmation_sent'],
      );
    });

    it('running the same file again imports nothing new', async () => {
      const list = await t.services.lists.requireList('news');
      const report = await importCsv(t.services.database, Readable.from([CSV]), {
        list,
        source: 'same file again',
        withProof: false,
        mailsPerHour: 3600,
      });
      assert.equal(report.imported, 0);
      assert.equal(report.confirmationMails, 0);
    });

    it('imports with proof as confirmed and keeps the evidence', async () => {
      const s = t.services;
      const list = await s.lists.create({ slug: 'vip', name: 'VIP', from: 'vip@shop.test' });
      const csv =
        'email,confirmed_at,confirm_ip\ngina@example.test,2025-05-01T08:30:00Z,192.0.2.44\nhank@example.test,last week,192.0.2.45\n';
      const report = await importCsv(s.database, Readable.from([csv]), {
        list: await s.lists.requireList(list.slug),
        source: 'old ESP export with double opt-in logs',
        withProof: true,
        mailsPerHour: 100,
      });
      assert.equal(report.imported, 1);
      assert.equal(report.invalid, 1);
      assert.equal(report.errors[0]!.line, 3);
      assert.equal(report.confirmationMails, 0);
      const gina = await s.subscribers.show('gina@example.test');
      assert.equal(gina.subscriptions[0]!.status, 'confirmed');
      assert.equal(gina.subscriptions[0]!.confirmedAt, '2025-05-01T08:30:00.000Z');
      assert.equal(gina.events[0]!.ip, '192.0.2.44');
      assert.deepEqual(gina.events[0]!.detail.proof, {
        confirmedAt: '2025-05-01T08:30:00.000Z',
        confirmIp: '192.0.2.44',
      });
    });

    it('refuses a file without an email column', async () => {
      const list = await t.services.lists.requireList('news');
      await assert.rejects(
        importCsv(t.services.database, Readable.from(['name\nx\n']), {
          list,
          source: 'x',
          withProof: false,
          mailsPerHour: 1,
        }),
        {
          code: 'invalid_input',
          message: /line 1: .*email/,
        },
      );
      await assert.rejects(
        importCsv(t.services.database, Readable.from(['']), { list, source: 'x', withProof: false, mailsPerHour: 1 }),
        { message: /empty/ },
      );
    });
  });
}
