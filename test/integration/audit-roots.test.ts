import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditRoot, type AuditRoot } from '../helpers/audit-roots.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';
import { cli, newInstance, type Instance } from '../helpers/listwarden.js';
import { enqueue } from '../../src/mail/outbox.repo.js';

interface Report {
  score: number;
  findings: { id: string; severity: string; title: string; evidence: string; fix: string }[];
  passed: { id: string; evidence: string }[];
  skipped: { id: string; reason: string }[];
}

const sqlite = DIALECTS[0] as (typeof DIALECTS)[number];

describe('listwarden audit on fixture roots', () => {
  let good: AuditRoot;
  let bad: AuditRoot;
  let instance: Instance;
  let cleanupDb: () => Promise<void>;

  before(async () => {
    good = auditRoot('good');
    bad = auditRoot('bad');
    const { database, url, cleanup } = await migratedDatabase(sqlite);
    cleanupDb = cleanup;
    // The good root's mail log names one message Listwarden sent: it is in our outbox.
    await enqueue(
      database.db,
      {
        kind: 'notification',
        listId: null,
        subscriberId: null,
        campaignId: null,
        messageId: '<GOOD-MESSAGE-ID-1@shop.example>',
        notBefore: Date.now(),
        payload: '{}',
      },
      Date.now(),
    );
    instance = newInstance(url, { LISTWARDEN_AUDIT_FOREIGN_LIMIT: '5' });
  });
  after(async () => {
    good.cleanup();
    bad.cleanup();
    instance.cleanup();
    await cleanupDb();
  });

  const audit = async (args: string[]) => {
    const result = await cli(instance, ['audit', '--json', ...args]);
    assert.equal(result.stderr, '', result.stderr);
    return { code: result.code, report: JSON.parse(result.stdout) as Report };
  };
  const severityOf = (report: Report, id: string) =>
    report.findings.find((f) => f.id === id)?.severity ??
    (report.passed.some((p) => p.id === id) ? 'pass' : report.skipped.some((s) => s.id === id) ? 'skipped' : 'absent');

  it('finds nothing on the good root: score 100, exit 0', async () => {
    const { code, report } = await audit(['--root', good.dir]);
    assert.deepEqual(report.findings, []);
    assert.equal(report.score, 100);
    assert.equal(code, 0);
    for (const id of [
      'accounts.uid0',
      'accounts.root-password-age',
      'accounts.empty-password',
      'ssh.permit-root-login',
      'ssh.password-authentication',
      'ssh.permit-empty-passwords',
      'ssh.max-auth-tries',
      'patches.security-updates',
      'patches.unattended-upgrades',
      'patches.reboot-required',
      'patches.kernel',
      'suites.fail2ban-ssh',
      'suites.fail2ban-mail',
      'suites.malware-scanner',
      'suites.integrity',
      'firewall.input-policy',
      'firewall.outbound-25',
      'postfix.mynetworks',
      'postfix.relay-restrictions',
      'postfix.vrfy',
      'postfix.banner',
      'abuse.foreign-mail',
    ]) {
      assert.equal(severityOf(report, id), 'pass', id);
    }
    // The drop-in read first wins over the main file's later PermitRootLogin yes; Match blocks are not global.
    assert.match(
      report.passed.find((p) => p.id === 'ssh.permit-root-login')?.evidence ?? '',
      /PermitRootLogin no \(\/etc\/ssh\/sshd_config\.d\/10-hardening\.conf:1\)/,
    );
    assert.equal(severityOf(report, 'relay.open'), 'skipped');
  });

  it('names every problem of the bad root with its severity, and exits 3', async () => {
    const { code, report } = await audit(['--root', bad.dir]);
    const expected: Record<string, string> = {
      'accounts.uid0': 'critical',
      'accounts.empty-password': 'critical',
      'accounts.root-password-age': 'warning',
      'ssh.permit-root-login': 'critical',
      'ssh.password-authentication': 'warning',
      'ssh.permit-empty-passwords': 'critical',
      'ssh.max-auth-tries': 'suggestion',
      'patches.security-updates': 'critical',
      'patches.unattended-upgrades': 'warning',
      'patches.reboot-required': 'warning',
      'patches.kernel': 'warning',
      'suites.fail2ban-ssh': 'warning',
      'suites.fail2ban-mail': 'pass',
      'suites.malware-scanner': 'warning',
      'suites.integrity': 'suggestion',
      'firewall.input-policy': 'warning',
      'firewall.outbound-25': 'warning',
      'postfix.mynetworks': 'critical',
      'postfix.relay-restrictions': 'critical',
      'postfix.vrfy': 'suggestion',
      'postfix.banner': 'suggestion',
    };
    for (const [id, severity] of Object.entries(expected)) assert.equal(severityOf(report, id), severity, id);
    const evidence = (id: string) => report.findings.find((f) => f.id === id)?.evidence ?? '';
    assert.match(evidence('accounts.uid0'), /toor/);
    assert.match(evidence('accounts.empty-password'), /deploy/);
    assert.match(evidence('accounts.root-password-age'), /the day the system accounts were created/);
    assert.match(evidence('ssh.password-authentication'), /sshd_config\.d\/50-cloud-init\.conf:1/);
    assert.match(evidence('patches.security-updates'), /openssl 3\.0\.11-1~deb12u2 → 3\.0\.15-1~deb12u1/);
    assert.match(evidence('patches.security-updates'), /libc6/);
    assert.match(evidence('patches.kernel'), /running 6\.1\.0-18-amd64, installed 6\.1\.0-21-amd64/);
    assert.match(evidence('suites.malware-scanner'), /30 days old/);
    assert.match(evidence('postfix.mynetworks'), /0\.0\.0\.0\/0/);
    assert.match(evidence('firewall.input-policy'), /\/etc\/iptables\/rules\.v4/);
    assert.ok(report.score < 20, `score ${report.score}`);
    assert.equal(code, 3);
    assert.ok(report.findings.every((f) => f.fix.length > 0 && f.title.length > 0));
  });

  it('narrows with --only and moves the exit threshold with --fail-on', async () => {
    assert.equal((await audit(['--root', bad.dir, '--only', 'postfix.vrfy'])).code, 1);
    const sshOnly = await audit(['--root', bad.dir, '--only', 'ssh']);
    assert.deepEqual([...new Set(sshOnly.report.findings.map((f) => f.id.split('.')[0]))], ['ssh']);
    assert.equal((await audit(['--root', bad.dir, '--only', 'ssh.max-auth-tries', '--fail-on', 'warning'])).code, 0);
    assert.equal(
      (await audit(['--root', bad.dir, '--only', 'patches.reboot-required', '--fail-on', 'warning'])).code,
      2,
    );
    assert.equal(
      (await audit(['--root', bad.dir, '--only', 'patches.reboot-required', '--fail-on', 'critical'])).code,
      0,
    );
    assert.equal((await audit(['--root', bad.dir, '--only', 'firewall', '--fail-on', 'critical'])).code, 0);
  });

  it('reads the mail log: mail we did not send from a PHP script is critical, cron mail is not', async () => {
    const goodRun = await audit(['--root', good.dir, '--mail-activity', '--only', 'mail']);
    assert.equal(severityOf(goodRun.report, 'mail.php-script'), 'pass');
    assert.equal(severityOf(goodRun.report, 'mail.foreign-messages'), 'suggestion');
    assert.match(goodRun.report.findings[0]?.evidence ?? '', /1 of 2 messages/);
    assert.equal(goodRun.code, 1);
    const badRun = await audit(['--root', bad.dir, '--mail-activity', '--only', 'mail']);
    assert.equal(severityOf(badRun.report, 'mail.php-script'), 'critical');
    assert.match(
      badRun.report.findings.find((f) => f.id === 'mail.php-script')?.evidence ?? '',
      /33:wp-content\/uploads\/2024\/03\/cache\.php/,
    );
    assert.equal(severityOf(badRun.report, 'mail.foreign-messages'), 'critical');
    assert.match(
      badRun.report.findings.find((f) => f.id === 'mail.foreign-messages')?.evidence ?? '',
      /31 of 32 messages.*uid 33/,
    );
    assert.match(badRun.report.findings.find((f) => f.id === 'mail.foreign-messages')?.fix ?? '', /postsuper -h ALL/);
    assert.equal(badRun.code, 3);
  });

  it('prints a report grouped by severity for people', async () => {
    const result = await cli(instance, ['audit', '--root', bad.dir]);
    assert.equal(result.code, 3);
    const critical = result.stdout.indexOf('CRITICAL');
    const warnings = result.stdout.indexOf('WARNINGS');
    const suggestions = result.stdout.indexOf('SUGGESTIONS');
    assert.ok(critical > 0 && critical < warnings && warnings < suggestions, result.stdout);
    assert.match(result.stdout, /hygiene score \d+\/100/);
    assert.match(result.stdout, /fix: +postconf -e "mynetworks = 127\.0\.0\.0\/8 \[::1\]\/128"/);
  });

  it('refuses bad options with one sentence', async () => {
    for (const [args, pattern] of [
      [['--root', '/nonexistent/root'], /--root \/nonexistent\/root is not a directory\./],
      [['--fail-on', 'sometimes'], /--fail-on must be warning or critical\./],
      [['--only', 'ssh;rm -rf /'], /--only takes check ids or areas/],
      [['--mta', 'a b:25'], /--mta must be host:port\./],
    ] as const) {
      const result = await cli(instance, ['audit', ...args]);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.split('\n').filter(Boolean).length, 1);
    }
  });
});
