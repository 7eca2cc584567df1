import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkIpRange } from '../../src/reputation/check-ip.js';
import { DnsblClient } from '../../src/reputation/dnsbl-client.js';
import { renderNeighbourhood } from '../../src/reputation/neighbourhood-map.js';
import { zoneInfo } from '../../src/reputation/zones.js';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { DIALECTS } from '../helpers/databases.js';
import { cli, NO_DNS, newInstance, type Instance } from '../helpers/listwarden.js';
import { confirmedSignups, servicesFor, type TestServices } from '../helpers/services.js';
import { rbldnsdSkip, startRbldnsd, TEST_ENTRIES, type RbldnsdServer } from '../helpers/rbldnsd.js';

/** Zones as real lists shape them: single IPs, whole ranges, IPv6, refusals, dead and wildcard zones. */
export const TEST_ZONES = [
  {
    zone: 'zen.test.bl',
    type: 'ip4set',
    lines: [
      ...TEST_ENTRIES,
      '192.0.2.10 :2:SBL listing for $ see https://check.example/sbl',
      '192.0.2.64/28 :4:Exploited host $ (XBL)',
    ],
  },
  {
    zone: 'range.test.bl',
    type: 'ip4set',
    lines: [...TEST_ENTRIES, '192.0.2.0/24 :2:The whole allocation $ is listed (level 2)'],
  },
  { zone: 'v6.test.bl', type: 'ip6trie', lines: [':2:IPv6 listing', '::ffff:7f00:2', '2001:db8::25'] },
  {
    zone: 'refused.test.bl',
    type: 'ip4set',
    lines: [':127.255.255.254:Query refused: use a DQS key', '127.0.0.0/8', '192.0.2.0/24'],
  },
  { zone: 'dead.test.bl', type: 'ip4set', lines: ['192.0.2.10 :2:no test entry in this zone'] },
  { zone: 'wild.test.bl', type: 'ip4set', lines: [':2:everything', '0.0.0.0/1', '128.0.0.0/1'] },
];

describe('DNSBL checks against a real rbldnsd', { skip: rbldnsdSkip }, () => {
  let dns: RbldnsdServer;
  let instance: Instance;
  before(async () => {
    dns = await startRbldnsd(TEST_ZONES);
    instance = newInstance('sqlite::memory:');
  });
  after(async () => {
    await dns?.stop();
    instance?.cleanup();
  });

  const client = (concurrency = 32) =>
    new DnsblClient({ servers: [dns.address], timeoutMs: 1000, tries: 2, concurrency, dqsKey: undefined });

  it('checks the IP and its /24, trusts only zones that pass the RFC 5782 probe, and keeps reasons', async () => {
    const c = client(16);
    const result = await checkIpRange(c, {
      ip: '192.0.2.20',
      range: 24,
      zones: TEST_ZONES.map((z) => zoneInfo(z.zone)),
    });
    const status = Object.fromEntries(result.zones.map((z) => [z.zone, z.status]));
    assert.deepEqual(status, {
      'zen.test.bl': 'ok',
      'range.test.bl': 'ok',
      'v6.test.bl': 'ok',
      'refused.test.bl': 'refused',
      'dead.test.bl': 'unusable',
      'wild.test.bl': 'unusable',
    });
    assert.match(result.zones.find((z) => z.zone === 'wild.test.bl')!.detail, /wildcard/);
    const zen = result.listed.filter((l) => l.zone === 'zen.test.bl');
    assert.deepEqual(
      zen.map((l) => l.ip),
      ['192.0.2.10', ...Array.from({ length: 16 }, (_, i) => `192.0.2.${64 + i}`)],
    );
    assert.equal(zen[0]!.reason, 'SBL listing for 192.0.2.10 see https://check.example/sbl');
    assert.deepEqual(zen[1]!.codes, ['127.0.0.4']);
    assert.equal(
      result.listed.filter((l) => l.zone === 'range.test.bl').length,
      256,
      'a range listing covers every neighbour',
    );
    assert.ok(
      !result.listed.some(
        (l) => l.zone === 'refused.test.bl' || l.zone === 'wild.test.bl' || l.zone === 'dead.test.bl',
      ),
      'untrusted zones never produce listings',
    );
    assert.ok(result.errors.some((e) => e.zone === 'refused.test.bl' && /refused/.test(e.reason)));
    assert.ok(c.peakInFlight <= 16, `at most 16 queries in flight, saw ${c.peakInFlight}`);
    const map = renderNeighbourhood(result, new Set(['192.0.2.20']));
    assert.match(map, /192\.0\.2\.0\/24/);
    assert.equal(map.split('\n').filter((l) => /^ {2}\.\s*\d+-\s*\d+ {4}/.test(l)).length, 16, '16 rows of 16 cells');
  });

  it('checks IPv6 addresses in nibble form', async () => {
    const result = await checkIpRange(client(), {
      ip: '2001:db8::25',
      range: 24,
      zones: [zoneInfo('v6.test.bl'), zoneInfo('zen.test.bl')],
    });
    assert.deepEqual(
      result.listed.map((l) => [l.ip, l.zone, l.reason]),
      [['2001:db8::25', 'v6.test.bl', 'IPv6 listing']],
    );
  });

  it('caches answers for their TTL', async () => {
    const c = client();
    await c.lookup('192.0.2.10', zoneInfo('zen.test.bl'));
    const asked = c.queries;
    assert.equal((await c.lookup('192.0.2.10', zoneInfo('zen.test.bl'))).status, 'listed');
    assert.equal(c.queries, asked, 'the second lookup came from the cache');
  });

  it('prints the neighbourhood map and JSON from the CLI, and refuses bad input with a sentence', async () => {
    const text = await cli(instance, [
      'reputation',
      'check-ip',
      '192.0.2.20',
      '--zones',
      'zen.test.bl,range.test.bl',
      '--dns',
      dns.address,
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, / @ /, 'our IP is marked');
    assert.match(text.stdout, / # /, 'listed neighbours are marked');
    assert.match(text.stdout, /zen\.test\.bl\s+17 listed/);
    const json = await cli(instance, [
      'reputation',
      'check-ip',
      '192.0.2.20',
      '--range',
      '28',
      '--zones',
      'zen.test.bl',
      '--dns',
      dns.address,
      '--json',
    ]);
    const parsed = JSON.parse(json.stdout) as {
      ip: string;
      range: number;
      zones: Array<{ zone: string; status: string }>;
      listed: Array<{ ip: string }>;
      errors: unknown[];
    };
    assert.equal(parsed.range, 28);
    assert.deepEqual(
      parsed.zones.map((z) => [z.zone, z.status]),
      [['zen.test.bl', 'ok']],
    );
    assert.deepEqual(parsed.listed, [], 'nothing listed in 192.0.2.16/28');
    const bad = await cli(instance, ['reputation', 'check-ip', '999.1.1.1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /is not an IP address/);
    // A zone that does not answer its test query: nothing is checked, the map says so, exit 1.
    const unusable = await cli(instance, [
      'reputation',
      'check-ip',
      '192.0.2.20',
      '--range',
      '28',
      '--zones',
      'missing.test.bl',
      '--dns',
      NO_DNS,
    ]);
    assert.equal(unusable.code, 1, unusable.stderr);
    const marks = unusable.stdout
      .split('\n')
      .filter((line) => /^ {2}\.\s*\d+-\s*\d+/.test(line))
      .map((line) => line.slice(14))
      .join('');
    assert.doesNotMatch(marks, /\./, 'no address is drawn clean');
    assert.match(unusable.stdout, /\?/);
    assert.match(unusable.stdout, /nothing was checked/);
  });
});

for (const dialect of DIALECTS) {
  describe(`blocklist watch on ${dialect.name}`, { skip: rbldnsdSkip || dialect.skip }, () => {
    let dns: RbldnsdServer;
    let t: TestServices;
    let campaignId = 0;
    before(async () => {
      dns = await startRbldnsd([{ zone: 'watch.test.bl', type: 'ip4set', lines: [...TEST_ENTRIES] }]);
      t = await servicesFor(dialect, {
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test',
        LISTWARDEN_SENDING_IPS: '192.0.2.20',
        LISTWARDEN_REPUTATION_RANGE: '28',
        LISTWARDEN_DNSBL_ZONES: 'watch.test.bl',
        LISTWARDEN_DNSBL_BLOCKING_ZONES: 'watch.test.bl',
        LISTWARDEN_DNS_SERVERS: dns.address,
      });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await confirmedSignups(
        s,
        list,
        Array.from({ length: 3 }, (_, i) => ({ email: `w${i}@example.net` })),
      );
      await s.worker.drain();
      campaignId = (
        await s.campaigns.create({
          list: 'news',
          subject: 'Sale',
          html: '<a href="{{ unsubscribe_url }}">Unsubscribe</a>',
        })
      ).id;
      await moveCampaign(s.database.db, campaignId, ['draft'], 'running', Date.now());
      await s.automations.create({ name: 'welcome', list: 'news', on: 'confirmed' });
      await fanOut(s.database, { id: campaignId, list_id: list.id }, 'shop.test');
    });
    after(async () => {
      await t?.cleanup();
      await dns?.stop();
    });

    it('notices a new listing of our IP, pauses running campaigns, tells the owner, and notices the delisting', async () => {
      const s = t.services;
      assert.deepEqual(await s.reputation.runOnce(), [{ ip: '192.0.2.20', changes: [] }], 'a clean first check');

      await dns.update('watch.test.bl', [
        ...TEST_ENTRIES,
        '192.0.2.20 :2:Listed for spam from $',
        '192.0.2.17',
        '192.0.2.18',
        '192.0.2.19',
      ]);
      const [found] = await s.reputation.runOnce();
      assert.deepEqual(found?.changes.map((c) => c.type).sort(), ['listed', 'neighbours_rising']);
      const listed = found?.changes.find((c) => c.type === 'listed');
      assert.ok(listed?.type === 'listed' && listed.blocks && listed.reason === 'Listed for spam from 192.0.2.20');
      const campaign = await s.campaigns.status(campaignId);
      assert.equal(campaign.status, 'paused');
      assert.match(campaign.stopReason ?? '', /sending IP 192\.0\.2\.20 is listed in watch\.test\.bl/);
      assert.equal(campaign.held, 3);
      const welcome = await s.automations.show('welcome');
      assert.equal(welcome.status, 'paused', 'automation mail stops too');
      assert.match(welcome.stopReason ?? '', /sending IP 192\.0\.2\.20 is listed in watch\.test\.bl/);
      const alert = await s.database.db
        .selectFrom('outbox')
        .select('payload')
        .where('kind', '=', 'notification')
        .executeTakeFirstOrThrow();
      assert.match(alert.payload ?? '', /owner@shop\.test.*192\.0\.2\.20 is now listed in watch\.test\.bl/s);
      assert.match(alert.payload ?? '', /Paused campaigns/);

      await dns.update('watch.test.bl', [...TEST_ENTRIES]);
      const [after] = await s.reputation.runOnce();
      assert.deepEqual(after?.changes, [{ type: 'delisted', ip: '192.0.2.20', zone: 'watch.test.bl' }]);
      const rows = await s.database.db.selectFrom('reputation_checks').selectAll().orderBy('id').execute();
      assert.equal(rows.length, 3, 'every check is stored');
      assert.deepEqual(
        rows.map((r) => JSON.parse(r.self_listed)),
        [[], ['watch.test.bl'], []],
      );
    });
  });
}
