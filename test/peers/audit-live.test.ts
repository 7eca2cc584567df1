import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';
import { cli, newInstance, type Instance } from '../helpers/listwarden.js';
import { postfixSkip, startPostfix, type PostfixServer } from '../helpers/postfix.js';

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
      startPostfix(['mynetworks = 0.0.0.0/0', 'smtpd_authorized_xclient_hosts = 127.0.0.1', 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination']),
      startPostfix(['mynetworks = 127.0.0.0/8', 'smtpd_authorized_xclient_hosts = 127.0.0.1', 'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination']),
      startPostfix(['mynetworks = 127.0.0.0/8', 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination']),
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
    assert.match(closedRun.report.passed.find((p) => p.id === 'relay.open')?.evidence ?? '', /refused relaying for an outside client \(XCLIENT ADDR=192\.0\.2\.25\): RCPT TO → 554/);
    assert.equal(closedRun.code, 0);

    // The probe never sends DATA: both servers saw EHLO, XCLIENT, MAIL, RCPT, RSET, QUIT and nothing was queued.
    for (const server of [open, closed]) {
      assert.match(server.log(), /disconnect from unknown\[192\.0\.2\.25\] ehlo=2 xclient=\S+ mail=1 rcpt=\S+ rset=1 quit=1/);
      assert.doesNotMatch(server.log(), /data=|message-id=|queue active/);
    }
    assert.match(closed.log(), /reject: RCPT from unknown\[192\.0\.2\.25\]: 554 5\.7\.1 <relay-probe@example\.net>: Relay access denied/);
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

  it('names the process that talks to port 25 around the MTA', async () => {
    const script = `require('net').connect(25,'${SINK}').on('data',()=>console.log(1));setTimeout(()=>{},6e4)`;
    const bot = spawn(process.execPath, ['-e', script, 'spam-bot-marker'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        bot.stdout.once('data', () => resolve());
        bot.once('exit', () => reject(new Error('the test bot exited')));
      });
      const result = await cli(instance, ['audit', '--json', '--mail-activity', '--only', 'mail.smtp-connections']);
      const report = JSON.parse(result.stdout) as Report;
      const finding = report.findings.find((f) => f.id === 'mail.smtp-connections');
      assert.equal(finding?.severity, 'critical', result.stdout);
      assert.match(finding?.evidence ?? '', new RegExp(`pid ${bot.pid} \\(.*spam-bot-marker.*\\) as root → ${SINK.replace(/\./g, '\\.')}:25`));
      assert.match(finding?.fix ?? '', new RegExp(`kill ${bot.pid}`));
      assert.equal(result.code, 3);
    } finally {
      bot.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
    const clean = await cli(instance, ['audit', '--json', '--mail-activity', '--only', 'mail.smtp-connections']);
    assert.equal(clean.code, 0, clean.stdout);
  });
});
