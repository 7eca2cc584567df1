import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDomainVerifier } from '../../src/subscribers/domain-check.js';
import { dnsmasqSkip, startDnsmasq, type DnsServer } from '../helpers/dnsmasq.js';

describe('domain check against a real DNS server (dnsmasq)', { skip: dnsmasqSkip }, () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsmasq();
  });
  after(() => dns.stop());

  it('accepts MX, and A or AAAA as implicit MX', async () => {
    const verifier = createDomainVerifier({ servers: [dns.address], timeoutMs: 500, tries: 1 });
    assert.deepEqual(await verifier.check('shop.test'), { status: 'deliverable', via: 'mx' });
    assert.deepEqual(await verifier.check('aonly.test'), { status: 'deliverable', via: 'a' });
    assert.deepEqual(await verifier.check('v6only.test'), { status: 'deliverable', via: 'aaaa' });
  });

  it('rejects NXDOMAIN, no records and null MX', async () => {
    const verifier = createDomainVerifier({ servers: [dns.address], timeoutMs: 500, tries: 1 });
    assert.deepEqual(await verifier.check('nowhere.test'), {
      status: 'undeliverable',
      reason: 'The domain nowhere.test does not exist.',
    });
    assert.deepEqual(await verifier.check('nomail.test'), {
      status: 'undeliverable',
      reason: 'The domain nomail.test has no mail server.',
    });
    assert.deepEqual(await verifier.check('nullmx.test'), {
      status: 'undeliverable',
      reason: 'nullmx.test says it does not accept email (null MX).',
    });
  });

  it('reports a timeout or a refusal as unverified, never as undeliverable', async () => {
    const verifier = createDomainVerifier({ servers: [dns.address], timeoutMs: 300, tries: 1 });
    const slow = await verifier.check('blackhole.test');
    assert.equal(slow.status, 'unverified');
    const refused = await verifier.check('shop-customer.example');
    assert.equal(refused.status, 'unverified', 'dnsmasq refuses names outside its zones');
    assert.deepEqual(
      await verifier.check('gmail.com'),
      { status: 'deliverable', via: 'provider' },
      'big providers are never refused',
    );
  });

  it('caches answers and shares one lookup between concurrent checks', async () => {
    const verifier = createDomainVerifier({ servers: [dns.address], timeoutMs: 500, tries: 1 });
    const first = await Promise.all(Array.from({ length: 20 }, () => verifier.check('example.test')));
    assert.ok(first.every((v) => v.status === 'deliverable'));
    await dns.stop();
    assert.deepEqual(
      await verifier.check('example.test'),
      { status: 'deliverable', via: 'mx' },
      'served from the cache',
    );
    dns = await startDnsmasq();
  });
});
