import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkSenderDomain } from '../../src/reputation/sender-auth.js';
import { publicKeyRecordValue } from '../../src/dkim/dns-record.js';
import { dnsmasqSkip, startDnsmasq, txtRecord, type DnsServer } from '../helpers/dnsmasq.js';
import { cli, newInstance, type Instance } from '../helpers/listwarden.js';

const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

describe('sender authentication against a real authoritative DNS (dnsmasq)', { skip: dnsmasqSkip }, () => {
  let dns: DnsServer;
  let instance: Instance;
  before(async () => {
    dns = await startDnsmasq([
      '--local=/2.0.192.in-addr.arpa/',
      // good.test: everything in place.
      txtRecord('good.test', 'v=spf1 ip4:192.0.2.20 -all'),
      txtRecord('lw._domainkey.good.test', `v=DKIM1; k=rsa; p=${publicKeyRecordValue(key)}`),
      txtRecord('_dmarc.good.test', 'v=DMARC1; p=quarantine; rua=mailto:dmarc@good.test'),
      '--mx-host=good.test,mail.good.test,10',
      '--host-record=mail.good.test,192.0.2.20',
      '--ptr-record=20.2.0.192.in-addr.arpa,mail.good.test',
      // bad.test: SPF for another IP, a stale DKIM key, no DMARC, no MX, a PTR that does not resolve back.
      txtRecord('bad.test', 'v=spf1 ip4:198.51.100.1 -all'),
      txtRecord('lw._domainkey.bad.test', `v=DKIM1; k=rsa; p=${publicKeyRecordValue(other)}`),
      '--ptr-record=21.2.0.192.in-addr.arpa,ghost.bad.test',
      // loop.test: an SPF record over the 10-lookup limit.
      txtRecord(
        'loop.test',
        `v=spf1 ${Array.from({ length: 11 }, (_, i) => `include:l${i}.loop.test`).join(' ')} -all`,
      ),
      ...Array.from({ length: 11 }, (_, i) => txtRecord(`l${i}.loop.test`, 'v=spf1 ip4:203.0.113.1 -all')),
    ]);
    instance = newInstance('sqlite::memory:');
    instance.env.LISTWARDEN_DATABASE_URL = `sqlite:${join(instance.dir, 'listwarden.db')}`;
  });
  after(async () => {
    await dns?.stop();
    instance?.cleanup();
  });

  const check = (domain: string, ip: string, dkimKey = key) =>
    checkSenderDomain({
      domain,
      ip,
      dkim: [{ domain, selector: 'lw', algorithm: 'rsa', publicKey: publicKeyRecordValue(dkimKey), status: 'active' }],
      returnPathDomain: domain,
      servers: [dns.address],
      timeoutMs: 1000,
    });
  const statuses = (r: { checks: Array<{ id: string; status: string }> }) =>
    Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

  it('passes a domain that has it all, ready for Gmail, Yahoo and Microsoft', async () => {
    const result = await check('good.test', '192.0.2.20');
    assert.deepEqual(statuses(result), {
      spf: 'pass',
      dkim: 'pass',
      dmarc: 'pass',
      alignment: 'pass',
      ptr: 'pass',
      fcrdns: 'pass',
      mx: 'pass',
    });
    assert.ok(result.readiness.every((r) => r.ready));
  });

  it('fails each missing piece with the fix', async () => {
    const result = await check('bad.test', '192.0.2.21');
    assert.deepEqual(statuses(result), {
      spf: 'fail',
      dkim: 'fail',
      dmarc: 'fail',
      alignment: 'pass',
      ptr: 'pass',
      fcrdns: 'fail',
      mx: 'warn',
    });
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    assert.match(byId.spf!.fix ?? '', /ip4:192\.0\.2\.21/);
    assert.match(byId.dkim!.detail, /not the key Listwarden signs with/);
    assert.match(byId.dmarc!.fix ?? '', /_dmarc\.bad\.test/);
    assert.match(byId.fcrdns!.detail, /ghost\.bad\.test does not resolve back/);
    assert.deepEqual(result.readiness.find((r) => r.provider === 'Gmail')?.missing, ['spf', 'dkim', 'dmarc', 'fcrdns']);
  });

  it('reports a missing PTR and an SPF record over the lookup limit', async () => {
    const noPtr = await check('good.test', '192.0.2.22');
    assert.equal(statuses(noPtr).ptr, 'fail');
    const loop = await check('loop.test', '192.0.2.20');
    const spf = loop.checks.find((c) => c.id === 'spf');
    assert.equal(spf?.status, 'fail');
    assert.match(spf?.detail ?? '', /broken/);
  });

  it('runs from the CLI with the stored DKIM keys and exits 1 when something fails', async () => {
    const keyFile = join(instance.dir, 'dkim.pem');
    writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }));
    assert.equal((await cli(instance, ['init'])).code, 0);
    const imported = await cli(instance, [
      'dkim',
      'import',
      '--domain',
      'good.test',
      '--selector',
      'lw',
      '--key-file',
      keyFile,
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    const checkDomain = (domain: string, ip: string, json = true) =>
      cli(instance, [
        'reputation',
        'check-domain',
        domain,
        '--ip',
        ip,
        '--dns',
        dns.address,
        ...(json ? ['--json'] : []),
      ]);
    const good = await checkDomain('good.test', '192.0.2.20');
    assert.equal(good.code, 0, good.stderr);
    assert.ok((JSON.parse(good.stdout) as { readiness: Array<{ ready: boolean }> }).readiness.every((r) => r.ready));
    // The next key, generated but not yet published, warns and changes nothing else.
    assert.equal((await cli(instance, ['dkim', 'generate', '--domain', 'good.test', '--selector', 'next'])).code, 0);
    const withPending = await checkDomain('good.test', '192.0.2.20');
    assert.equal(withPending.code, 0, withPending.stderr);
    const dkimChecks = (
      JSON.parse(withPending.stdout) as { checks: Array<{ id: string; status: string; detail: string }> }
    ).checks.filter((c) => c.id === 'dkim');
    assert.deepEqual(
      dkimChecks.map((c) => c.status),
      ['pass', 'warn'],
    );
    assert.match(dkimChecks[1]!.detail, /no DKIM record at next\._domainkey\.good\.test \(pending/);
    // bad.test: no key of ours at all, besides everything else.
    const bad = await checkDomain('bad.test', '192.0.2.21', false);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /Gmail: not ready \(spf, dkim, dmarc, fcrdns\)/);
    assert.match(bad.stdout, /listwarden dkim generate --domain bad\.test/);
  });
});
