import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';
import { resolveSecrets } from './secret.js';

describe('loadConfig', () => {
  it('serves a first run with defaults', () => {
    const c = loadConfig({});
    assert.equal(c.databaseUrl, 'sqlite:./data/listwarden.db');
    assert.equal(c.publicUrl, 'http://localhost:8080');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8080);
    assert.equal(c.smtpUrl, 'capture:./data/outbox');
    assert.equal(c.verifyDomains, true);
    assert.deepEqual(c.dnsServers, []);
    assert.deepEqual(c.signupRateLimit, { max: 20, windowMs: 60_000 });
    assert.equal(c.confirmTokenTtlMs, 7 * 86_400_000);
    assert.equal(c.pendingTtlMs, 30 * 86_400_000);
    assert.equal(c.dkim, undefined);
    assert.deepEqual(c.audit, { mta: '127.0.0.1:25', foreignLimit: 20, intervalMs: 600_000, postfixConfig: undefined });
  });

  it('parses and normalises what it is given', () => {
    const c = loadConfig({
      LISTWARDEN_PUBLIC_URL: 'https://mail.shop.example/',
      LISTWARDEN_DNS_SERVERS: '127.0.0.1:5353, [::1]:53',
      LISTWARDEN_VERIFY_DOMAINS: 'false',
      LISTWARDEN_SIGNUP_RATE_LIMIT: '100/hour',
      LISTWARDEN_DATABASE_URL: 'postgres://u@db/listwarden',
      LISTWARDEN_IGNORED: 'x',
    });
    assert.equal(c.publicUrl, 'https://mail.shop.example');
    assert.deepEqual(c.dnsServers, ['127.0.0.1:5353', '[::1]:53']);
    assert.equal(c.verifyDomains, false);
    assert.deepEqual(c.signupRateLimit, { max: 100, windowMs: 3_600_000 });
  });

  it('names the variable in one sentence and never echoes a secret', () => {
    assert.throws(() => loadConfig({ LISTWARDEN_PORT: 'eighty' }), /^AppError: LISTWARDEN_PORT .*\(got "eighty"\)\.$/);
    assert.throws(() => loadConfig({ LISTWARDEN_PUBLIC_URL: 'ftp://x' }), /LISTWARDEN_PUBLIC_URL must be an http/);
    assert.throws(() => loadConfig({ LISTWARDEN_SMTP_URL: 'mail.example' }), /LISTWARDEN_SMTP_URL must be capture/);
    assert.throws(() => loadConfig({ LISTWARDEN_SIGNUP_RATE_LIMIT: 'lots' }), /"20\/minute"/);
    assert.throws(() => loadConfig({ LISTWARDEN_DKIM_DOMAIN: 'shop.example' }), /must be set together/);
    assert.throws(
      () => loadConfig({ LISTWARDEN_ADMIN_EMAIL: 'owner' }),
      /LISTWARDEN_ADMIN_EMAIL must be one email address/,
    );
    assert.throws(() => loadConfig({ LISTWARDEN_GUARD_COMPLAINT_RATE: '5' }), /must be below 1 \(0\.001 is 0\.1%\)/);
    assert.throws(
      () => loadConfig({ LISTWARDEN_AUDIT_INTERVAL_MINUTES: '-5' }),
      /LISTWARDEN_AUDIT_INTERVAL_MINUTES must be 0 \(off\) or more minutes/,
    );
    assert.equal(loadConfig({ LISTWARDEN_AUDIT_INTERVAL_MINUTES: '0' }).audit.intervalMs, 0);
    assert.throws(
      () => loadConfig({ LISTWARDEN_AUDIT_POSTFIX_CONFIG: 'postfix-out' }),
      /LISTWARDEN_AUDIT_POSTFIX_CONFIG must be an absolute directory/,
    );
    for (const url of ['imap://mail.shop.example/INBOX', 'pop3://u:hunter2hunter2@mail.shop.example']) {
      try {
        loadConfig({ LISTWARDEN_IMAP_URL: url });
        assert.fail(`accepted ${url}`);
      } catch (error) {
        assert.match(String(error), /LISTWARDEN_IMAP_URL must/);
        assert.doesNotMatch(String(error), /hunter2/, 'a password in the URL is never echoed');
      }
    }
    const imap = loadConfig({ LISTWARDEN_IMAP_URL: 'imaps://bounces%40shop:p%3Ass@mail.shop.example/Bounces' }).imap;
    assert.deepEqual(imap?.settings, {
      host: 'mail.shop.example',
      port: 993,
      secure: true,
      user: 'bounces@shop',
      password: 'p:ss',
      mailbox: 'Bounces',
      doneFolder: undefined,
    });
    try {
      loadConfig({ LISTWARDEN_SECRET: 'short-but-secret-value' });
      assert.fail('accepted a short secret');
    } catch (error) {
      assert.match(String(error), /LISTWARDEN_SECRET must be at least 32 characters/);
      assert.doesNotMatch(String(error), /short-but-secret-value/);
    }
  });
});

describe('resolveSecrets', () => {
  it('generates ./data/secret with mode 0600 on first start and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-secret-'));
    try {
      const config = loadConfig({ LISTWARDEN_DATA_DIR: join(dir, 'data') });
      const first = resolveSecrets(config);
      const file = join(dir, 'data', 'secret');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(first.current.length >= 48);
      assert.equal(readFileSync(file, 'utf8').trim(), first.current);
      assert.deepEqual(resolveSecrets(config), first, 'reused after');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prefers the environment, keeps previous secrets, and refuses a truncated file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-secret-'));
    try {
      const env = {
        LISTWARDEN_DATA_DIR: dir,
        LISTWARDEN_SECRET: 'n'.repeat(40),
        LISTWARDEN_PREVIOUS_SECRETS: 'o'.repeat(40),
      };
      assert.deepEqual(resolveSecrets(loadConfig(env)), { current: 'n'.repeat(40), previous: ['o'.repeat(40)] });
      writeFileSync(join(dir, 'secret'), 'tiny\n', { mode: 0o644 });
      assert.throws(() => resolveSecrets(loadConfig({ LISTWARDEN_DATA_DIR: dir })), /shorter than 32 characters/);
      assert.equal(statSync(join(dir, 'secret')).mode & 0o777, 0o600, 'permissions are tightened');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
