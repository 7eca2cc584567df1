import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { dnsmasqSkip, startDnsmasq, type DnsServer } from '../helpers/dnsmasq.js';
import { postJson } from '../helpers/http.js';
import { cli, newInstance, startServer, type Instance, type RunningServer } from '../helpers/listwarden.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('a resolver that says nothing exists does not refuse signups', { skip: dnsmasqSkip }, () => {
  let dns: DnsServer;
  let fresh: TestDatabase;
  let instance: Instance;
  let server: RunningServer;

  before(async () => {
    // Every name under these top-level domains is NXDOMAIN, as on a machine with a broken resolver.
    dns = await startDnsmasq(['--local=/com/', '--local=/de/', '--local=/net/', '--local=/org/'], { canaries: false });
    fresh = await sqlite.fresh();
    instance = newInstance(fresh.url, { LISTWARDEN_DNS_SERVERS: dns.address, LISTWARDEN_DNS_TIMEOUT_MS: '500' });
    const created = await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
    assert.equal(created.code, 0, created.stderr);
    server = await startServer(instance);
  });

  after(async () => {
    await server?.stop();
    await dns?.stop();
    await fresh?.drop();
    instance?.cleanup();
  });

  const subscribe = (email: string) => postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email });

  it('accepts gmail.com and an unknown .com, notes them, and warns once with the fix', async () => {
    assert.equal((await subscribe('ann@gmail.com')).status, 202);
    assert.equal((await subscribe('bob@some-shop-customer.com')).status, 202);
    assert.equal((await subscribe('cid@another-customer.org')).status, 202);
    // Until the resolver answers for the big providers again, no "does not exist" refuses anyone.
    assert.equal((await subscribe('dan@does-not-exist.test')).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const warnings = server.logs().match(/cannot answer for the internet/g) ?? [];
    assert.equal(warnings.length, 1, server.logs());
    assert.match(server.logs(), /set LISTWARDEN_DNS_SERVERS to one that works/);
    const show = await cli(instance, ['subscribers', 'show', 'bob@some-shop-customer.com', '--json']);
    const signup = JSON.parse(show.stdout).events[0] as { detail: { domainCheck: string } };
    assert.match(signup.detail.domainCheck, /^unverified: DNS cannot answer/);
    const gmail = JSON.parse((await cli(instance, ['subscribers', 'show', 'ann@gmail.com', '--json'])).stdout);
    assert.equal((gmail.events[0] as { detail: { domainCheck: string } }).detail.domainCheck, 'deliverable');
  });
});
