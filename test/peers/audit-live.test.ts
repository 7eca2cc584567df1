import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';
import { cli, newInstance, startServer, waitForMails, type Instance } from '../helpers/listwarden.js';
import { postfixSkip, startPostfix, type PostfixServer } from '../helpers/postfix.js';
import { servicesFor } from '../helpers/services.js';
import nodemailer from 'nodemailer';
import { enqueue } from '../../src/mail/outbox.repo.js';

interface Report {
  findings: { id: string; severity: string; evidence: string; fix: string }[];
  passed: { id: string; evidence: string }[];
  skipped: { id: string; reason: string }[];
}

const sqlite = DIALECTS[0] as (typeof DIALECTS)[number];

describe('open relay probe against a real Postfix', { skip: postfixSkip }, () => {
  const servers: PostfixServer[] = [];
  let open: PostfixServer;
  let closed: PostfixServer;
  let noXclient: PostfixServer;
  let instance: Instance;
  let cleanupDb: () => Promise<void>;

  before(async () => {
    [open, closed, noXclient] = await Promise.all([
      // The classic mistake: everyone is "my network".
      startPostfix([
        'mynetworks = 0.0.0.0/0',
        'smtpd_authorized_xclient_hosts = 127.0.0.1',
        'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      ]),
      startPostfix([
        'mynetworks = 127.0.0.0/8',
        'smtpd_authorized_xclient_hosts = 127.0.0.1',
        'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
      ]),
      startPostfix([
        'mynetworks = 127.0.0.0/8',
        'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      ]),
    ]);
    servers.push(open, closed, noXclient);
    const db = await migratedDatabase(sqlite);
    await db.database.close();
    cleanupDb = db.cleanup;
    instance = newInstance(db.url);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    instance?.cleanup();
    await cleanupDb?.();
  });

  const probe = async (server: PostfixServer) => {
    const result = await cli(instance, ['audit', '--json', '--only', 'relay', '--mta', `127.0.0.1:${server.port}`]);
    return { code: result.code, report: JSON.parse(result.stdout) as Report };
  };

  it('tells an open relay from a closed one by appearing as an outside client with XCLIENT', async () => {
    const openRun = await probe(open);
    const finding = openRun.report.findings.find((f) => f.id === 'relay.open');
    assert.equal(finding?.severity, 'critical');
    assert.match(finding?.evidence ?? '', /XCLIENT ADDR=192\.0\.2\.25/);
    assert.match(finding?.evidence ?? '', /RCPT TO:<relay-probe@example\.net> → 250/);
    assert.equal(openRun.code, 3);

    const closedRun = await probe(closed);
    assert.deepEqual(closedRun.report.findings, []);
    assert.match(
      closedRun.report.passed.find((p) => p.id === 'relay.open')?.evidence ?? '',
      /refused relaying for an outside client \(XCLIENT ADDR=192\.0\.2\.25\): RCPT TO → 554/,
    );
    assert.equal(closedRun.code, 0);

    // The probe never sends DATA: both servers saw EHLO, XCLIENT, MAIL, RCPT, RSET, QUIT and nothing was queued.
    for (const server of [open, closed]) {
      assert.match(
        server.log(),
        /disconnect from unknown\[192\.0\.2\.25\] ehlo=2 xclient=\S+ mail=1 rcpt=\S+ rset=1 quit=1/,
      );
      assert.doesNotMatch(server.log(), /data=|message-id=|queue active/);
    }
    assert.match(
      closed.log(),
      /reject: RCPT from unknown\[192\.0\.2\.25\]: 554 5\.7\.1 <relay-probe@example\.net>: Relay access denied/,
    );
  });

  it('says it cannot tell when the MTA trusts loopback and refuses XCLIENT', async () => {
    const run = await probe(noXclient);
    const finding = run.report.findings.find((f) => f.id === 'relay.open');
    assert.equal(finding?.severity, 'warning');
    assert.match(finding?.fix ?? '', /smtpd_authorized_xclient_hosts = 127\.0\.0\.1/);
    assert.equal(run.code, 2);
  });

  it('skips the probe when no MTA listens', async () => {
    const run = await cli(instance, ['audit', '--json', '--only', 'relay', '--mta', '127.0.0.1:9']);
    const report = JSON.parse(run.stdout) as Report;
    assert.match(report.skipped.find((s) => s.id === 'relay.open')?.reason ?? '', /no MTA listens on 127\.0\.0\.1:9/);
    assert.equal(run.code, 0);
  });
});

describe('spambot signs in a real Postfix queue and log', { skip: postfixSkip }, () => {
  let postfix: PostfixServer;
  let instance: Instance;
  let cleanupDb: () => Promise<void>;
  const OURS = '<0190f1a2-0000-7000-8000-000000000001@shop.test>';

  before(async () => {
    // Remote delivery is deferred, so whatever is submitted stays in the queue for the audit to see.
    postfix = await startPostfix(['mynetworks = 127.0.0.0/8', 'defer_transports = smtp']);
    const db = await migratedDatabase(sqlite);
    await enqueue(
      db.database.db,
      {
        kind: 'notification',
        listId: null,
        subscriberId: null,
        campaignId: null,
        messageId: OURS,
        notBefore: 0,
        payload: '{}',
      },
      Date.now(),
    );
    await db.database.close();
    cleanupDb = db.cleanup;
    instance = newInstance(db.url, { LISTWARDEN_AUDIT_FOREIGN_LIMIT: '2' });

    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true });
    await smtp.sendMail({
      from: 'news@shop.test',
      to: 'customer@example.net',
      subject: 'Our sale',
      text: 'hello',
      messageId: OURS,
    });
    for (let i = 0; i < 3; i++) {
      await smtp.sendMail({
        from: 'wordpress@shop.test',
        to: `victim${i}@example.org`,
        subject: 'Cheap pills',
        text: 'buy',
        messageId: `<php-${i}@shop.test>`,
        headers: { 'X-PHP-Originating-Script': '33:wp-content/uploads/2026/mailer.php' },
      });
    }
    smtp.close();
    // A local submission through the sendmail command, as a cron job or a compromised account would.
    execFileSync('sendmail', ['-C', postfix.configDir, '-t', '-i', '-f', 'root@shop.test'], {
      input: 'To: someone@example.com\nSubject: local\nMessage-ID: <local-1@shop.test>\n\nhi\n',
    });
    const deadline = Date.now() + 15_000;
    while (
      (
        execFileSync('postqueue', ['-c', postfix.configDir, '-j'], { encoding: 'utf8' }).match(
          /"queue_name": "deferred"/g,
        ) ?? []
      ).length < 5
    ) {
      if (Date.now() > deadline) throw new Error(`the queue did not fill:\n${postfix.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await postfix?.stop();
    instance?.cleanup();
    await cleanupDb?.();
  });

  it('reads the queue with postqueue -j and postcat and the log from maillog_file, and tells our mail from the rest', async () => {
    const result = await cli(instance, [
      'audit',
      '--json',
      '--mail-activity',
      '--only',
      'mail.php-script,mail.foreign-messages,mail.queue',
      '--postfix-config',
      postfix.configDir,
    ]);
    const report = JSON.parse(result.stdout) as Report;
    const byId = (id: string) => report.findings.find((f) => f.id === id);
    const php = byId('mail.php-script');
    assert.equal(php?.severity, 'critical', result.stdout);
    assert.match(
      php?.evidence ?? '',
      /3 messages with X-PHP-Originating-Script: 33:wp-content\/uploads\/2026\/mailer\.php/,
    );
    const foreign = byId('mail.foreign-messages');
    assert.equal(foreign?.severity, 'critical');
    // Five messages in the log and the queue (each counted once); ours is known by its Message-ID.
    assert.match(
      foreign?.evidence ?? '',
      new RegExp(`^${postfix.configDir.replace(/conf$/, 'maillog')} and postqueue: 4 of 5 messages`),
    );
    assert.match(foreign?.evidence ?? '', /wordpress@shop\.test \(3\), root@shop\.test \(1\)/);
    assert.equal(report.passed.find((p) => p.id === 'mail.queue')?.evidence, 'postqueue -j: 5 messages, 5 deferred');
    assert.equal(result.code, 3);
  });

  it('names a bad --postfix-config in one sentence', async () => {
    const result = await cli(instance, ['audit', '--mail-activity', '--postfix-config', 'relative/dir']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--postfix-config must be an absolute directory/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});

describe('spambot detection on this host', () => {
  let sink: Server;
  let instance: Instance;
  let cleanupDb: () => Promise<void>;
  const accepted: Socket[] = [];
  const SINK = '127.0.0.25';

  before(async () => {
    // A stand-in for a remote mail server: a loopback listener on port 25 that is not an MTA.
    sink = createServer((socket) => {
      accepted.push(socket);
      socket.write('220 sink ESMTP\r\n');
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      sink.once('error', reject);
      sink.listen(25, SINK, resolve);
    });
    const db = await migratedDatabase(sqlite);
    await db.database.close();
    cleanupDb = db.cleanup;
    instance = newInstance(db.url);
  });
  after(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((r) => sink.close(r));
    instance.cleanup();
    await cleanupDb();
  });

  /** A process that holds an SMTP connection to the sink, as a spambot would; resolves once connected. */
  async function startBot(marker: string): Promise<ChildProcess> {
    const script = `require('net').connect(25,'${SINK}').on('data',()=>console.log(1));setTimeout(()=>{},6e4)`;
    const bot = spawn(process.execPath, ['-e', script, marker], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve, reject) => {
      bot.stdout.once('data', () => resolve());
      bot.once('exit', () => reject(new Error('the test bot exited')));
    });
    return bot;
  }
  const stopBot = async (bot: ChildProcess) => {
    bot.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
  };
  const botEvidence = (bot: ChildProcess, marker: string) =>
    new RegExp(`pid ${bot.pid} \\(.*${marker}.*\\) as root → ${SINK.replace(/\./g, '\\.')}:25`);

  it('names the process that talks to port 25 around the MTA', async () => {
    const bot = await startBot('spam-bot-marker');
    try {
      const result = await cli(instance, ['audit', '--json', '--mail-activity', '--only', 'mail.smtp-connections']);
      const report = JSON.parse(result.stdout) as Report;
      const finding = report.findings.find((f) => f.id === 'mail.smtp-connections');
      assert.equal(finding?.severity, 'critical', result.stdout);
      assert.match(finding?.evidence ?? '', botEvidence(bot, 'spam-bot-marker'));
      assert.match(finding?.fix ?? '', new RegExp(`kill ${bot.pid}`));
      assert.equal(result.code, 3);
    } finally {
      await stopBot(bot);
    }
    const clean = await cli(instance, ['audit', '--json', '--mail-activity', '--only', 'mail.smtp-connections']);
    assert.equal(clean.code, 0, clean.stdout);
  });

  it('serve runs the check at start and mails the owner at once, naming the process and what to do', async () => {
    const bot = await startBot('serve-bot-marker');
    const owner = 'owner@shop.test';
    const server = await startServer(instance, {
      LISTWARDEN_ADMIN_EMAIL: owner,
      LISTWARDEN_AUDIT_INTERVAL_MINUTES: '60',
    });
    try {
      const [alert] = await waitForMails(instance.captureDir, owner, 1, 20_000);
      assert.match(alert?.parsed.subject ?? '', /is sending mail Listwarden did not send/);
      const text = alert?.parsed.text ?? '';
      assert.match(text, botEvidence(bot, 'serve-bot-marker'));
      assert.match(text, new RegExp(`kill ${bot.pid}`));
      assert.match(text, /postsuper -h ALL/);
      assert.match(server.logs(), /spambot check: A process other than the MTA is talking SMTP to port 25/);
    } finally {
      await server.stop();
      await stopBot(bot);
    }
  });

  for (const dialect of DIALECTS) {
    it(
      `alerts once per episode and again when it comes back, with the state in the database (${dialect.name})`,
      { skip: dialect.skip },
      async () => {
        const owner = 'owner@shop.test';
        const svc = await servicesFor(dialect, { LISTWARDEN_ADMIN_EMAIL: owner });
        const watch = svc.services.spambotWatch;
        const smtpAlerts = (r: Awaited<ReturnType<typeof watch.runOnce>>) =>
          r.alerted.filter((f) => f.id === 'mail.smtp-connections');
        const alertsQueued = async () =>
          (
            await svc.services.database.db
              .selectFrom('outbox')
              .select('payload')
              .where('kind', '=', 'notification')
              .execute()
          ).map((r) => JSON.parse(r.payload ?? '{}') as { to: string; text: string });
        try {
          let bot = await startBot(`watch-bot-${dialect.name}`);
          try {
            const first = await watch.runOnce();
            assert.equal(smtpAlerts(first).length, 1);
            assert.match(smtpAlerts(first)[0]?.evidence ?? '', botEvidence(bot, `watch-bot-${dialect.name}`));
            const queued = await alertsQueued();
            assert.equal(queued.length, 1);
            assert.equal(queued[0]?.to, owner);
            assert.match(queued[0]?.text ?? '', new RegExp(`kill ${bot.pid}`));
            assert.deepEqual(smtpAlerts(await watch.runOnce()), [], 'still there ten minutes later: no second mail');
            assert.equal((await alertsQueued()).length, 1);
          } finally {
            await stopBot(bot);
          }
          const clean = await watch.runOnce();
          assert.ok(!clean.critical.some((f) => f.id === 'mail.smtp-connections'));
          const state = await svc.services.database.db
            .selectFrom('settings')
            .select('value')
            .where('key', '=', 'audit.spambot-watch')
            .executeTakeFirstOrThrow();
          assert.ok(
            !('mail.smtp-connections' in (JSON.parse(state.value) as { alerted: object }).alerted),
            'a clean run ends the episode',
          );
          bot = await startBot(`watch-bot-again-${dialect.name}`);
          try {
            assert.equal(smtpAlerts(await watch.runOnce()).length, 1, 'it came back: mailed at once');
            assert.equal((await alertsQueued()).length, 2);
          } finally {
            await stopBot(bot);
          }
        } finally {
          await svc.cleanup();
        }
      },
    );
  }
});
