import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { foreignAbuseSince } from '../../src/audit/abuse-reports.repo.js';
import { enqueue } from '../../src/mail/outbox.repo.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';
import { cli, newInstance, type Instance } from '../helpers/listwarden.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { servicesFor, type TestServices } from '../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`abuse reports addressed to the host on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect, { LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test' });
    });
    after(() => t.cleanup());

    it('keeps a report about mail we did not send as foreign and alerts the owner in the same transaction', async () => {
      const { db } = t.services.database;
      const raw = Buffer.from(
        fixture('x-arf.eml', { MSGID: 'not-ours.1@shop.test', VERP: 'www-data@shop.test', RCPT: 'victim@isp.example' }),
      );
      const result = await t.services.feedback.ingest(raw, { channel: 'file' });
      assert.equal(result.outcome, 'applied');
      assert.equal(
        result.outcome === 'applied' && result.action,
        'abuse report about mail Listwarden did not send: owner alerted',
      );
      const foreign = await foreignAbuseSince(db, 0);
      assert.equal(foreign.length, 1);
      assert.equal(foreign[0]?.reported_message_id, '<not-ours.1@shop.test>');
      assert.equal(foreign[0]?.reporter, 'abuse@isp.example');
      assert.equal(foreign[0]?.source_ip, '192.0.2.1');
      const alerts = await db
        .selectFrom('outbox')
        .select(['kind', 'payload'])
        .where('kind', '=', 'notification')
        .execute();
      assert.equal(alerts.length, 1);
      const alert = JSON.parse(alerts[0]?.payload ?? '{}') as { to: string; subject: string; text: string };
      assert.equal(alert.to, 'owner@shop.test');
      assert.match(alert.text, /postsuper -h ALL/);
    });

    it('links a report about our own message to its outbox row, without an alert', async () => {
      const { db } = t.services.database;
      await enqueue(
        db,
        {
          kind: 'notification',
          listId: null,
          subscriberId: null,
          campaignId: null,
          messageId: '<ours.7@shop.test>',
          notBefore: Date.now(),
          payload: '{}',
        },
        Date.now(),
      );
      const row = await db
        .selectFrom('outbox')
        .select('id')
        .where('message_id', '=', '<ours.7@shop.test>')
        .executeTakeFirstOrThrow();
      await t.services.feedback.ingest(Buffer.from(fixture('x-arf.eml', { MSGID: 'ours.7@shop.test' })), {
        channel: 'file',
      });
      const linked = await db.selectFrom('abuse_reports').selectAll().where('verdict', '=', 'ours').execute();
      assert.equal(linked.length, 1);
      assert.equal(Number(linked[0]?.outbox_id), Number(row.id));
      assert.equal((await foreignAbuseSince(db, 0)).length, 1, 'still only the first, foreign report');
      assert.equal(
        (
          await db
            .selectFrom('outbox')
            .select('id')
            .where('kind', '=', 'notification')
            .where('payload', '!=', '{}')
            .execute()
        ).length,
        1,
        'no second alert',
      );
    });
  });
}

describe('an abuse report from the command line to the audit', () => {
  let instance: Instance;
  let cleanupDb: () => Promise<void>;
  before(async () => {
    const db = await migratedDatabase(DIALECTS[0] as (typeof DIALECTS)[number]);
    await db.database.close();
    cleanupDb = db.cleanup;
    instance = newInstance(db.url, { LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test' });
  });
  after(async () => {
    instance.cleanup();
    await cleanupDb();
  });

  it('feedback ingest keeps an X-ARF report about foreign mail, and audit --only abuse turns it into a critical finding', async () => {
    const before = await cli(instance, ['audit', '--json', '--only', 'abuse']);
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(before.stdout, /no abuse reports about mail Listwarden did not send in the last 30 days/);

    const file = join(instance.dir, 'report.eml');
    writeFileSync(
      file,
      fixture('x-arf.eml', { MSGID: 'spam-run.9@shop.test', VERP: 'www-data@shop.test', RCPT: 'victim@isp.example' }),
    );
    const ingest = await cli(instance, ['feedback', 'ingest', file]);
    assert.equal(ingest.code, 0, ingest.stdout + ingest.stderr);

    const after = await cli(instance, ['audit', '--json', '--only', 'abuse']);
    const report = JSON.parse(after.stdout) as {
      findings: { id: string; severity: string; evidence: string; fix: string }[];
    };
    assert.deepEqual(
      report.findings.map((f) => [f.id, f.severity]),
      [['abuse.foreign-mail', 'critical']],
    );
    assert.match(
      report.findings[0]?.evidence ?? '',
      /1 report in the last 30 days .* from abuse@isp\.example about <spam-run\.9@shop\.test> sent from 192\.0\.2\.1/,
    );
    assert.match(report.findings[0]?.fix ?? '', /postsuper -h ALL/);
    assert.equal(after.code, 3);
  });
});
