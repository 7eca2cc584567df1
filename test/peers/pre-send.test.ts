import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { rbldnsdSkip, startRbldnsd, type RbldnsdServer } from '../helpers/rbldnsd.js';
import { confirmedSignups, servicesFor, type TestServices } from '../helpers/services.js';
import { rspamdSkip, startRspamd, type RspamdServer } from '../helpers/rspamd.js';
import { spamdSkip, startSpamd, type SpamdServer } from '../helpers/spamd.js';
import { scoreWithRspamd } from '../../src/reputation/spam-scorer.js';
import { freeTcpPort } from '../helpers/ports.js';

const CLEAN = `<p>Our winter sale has started: warm coats, boots and scarves at prices that make the season easier, in every shop and online.</p>
<p>See <a href="https://www.shop.test/sale">www.shop.test/sale</a>.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>`;
const SPAMMY = `<p>XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X</p>
<p><a href="https://bit.ly/x">click</a> <a href="https://login.bad-shop.example/">https://www.shop.test/account</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>`;

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('pre-send checks against real spamd and rbldnsd', { skip: spamdSkip || rbldnsdSkip || sqlite.skip }, () => {
  let spamd: SpamdServer;
  let dns: RbldnsdServer;
  let t: TestServices;
  before(async () => {
    [spamd, dns] = await Promise.all([
      startSpamd(),
      startRbldnsd([
        { zone: 'dbl.test.bl', type: 'dnset', lines: [':127.0.1.2:Spam domain $', 'test', 'bad-shop.example'] },
      ]),
    ]);
    t = await servicesFor(sqlite, {
      LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
      LISTWARDEN_SPAMD: spamd.address,
      LISTWARDEN_DOMAIN_ZONES: 'dbl.test.bl',
      LISTWARDEN_DNS_SERVERS: dns.address,
    });
    const list = await t.services.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
    await t.services.dkim.generate({ domain: 'shop.test' });
    await confirmedSignups(t.services, list, [{ email: 'kim@example.net' }]);
  });
  after(async () => {
    await t?.cleanup();
    await Promise.all([spamd?.stop(), dns?.stop()]);
  });

  it('passes honest content with its spam score', async () => {
    const { id } = await t.services.campaigns.create({
      list: 'news',
      subject: 'Winter sale: 30% off coats',
      html: CLEAN,
    });
    const report = await t.services.campaigns.check(id);
    assert.equal(report.ok, true, JSON.stringify(report.findings));
    assert.equal(report.spam?.scorer, 'spamd');
    assert.ok((report.spam?.score ?? 99) < (report.spam?.threshold ?? 0));
    assert.deepEqual(report.links, [{ domain: 'shop.test', listed: [] }]);
  });

  it('refuses spammy content with every reason, and sends it only when forced', async () => {
    const s = t.services;
    const { id } = await s.campaigns.create({ list: 'news', subject: 'FREE MONEY FOR YOU NOW', html: SPAMMY });
    const report = await s.campaigns.check(id);
    assert.equal(report.ok, false);
    const found = report.findings.map((f) => f.id).sort();
    assert.deepEqual(found, ['all-caps-subject', 'deceptive-link', 'listed-link', 'spam-score', 'url-shortener']);
    assert.match(
      report.findings.find((f) => f.id === 'listed-link')!.detail,
      /bad-shop\.example, listed in dbl\.test\.bl .*Spam domain bad-shop\.example/,
    );
    assert.ok((report.spam?.score ?? 0) >= 1000, 'GTUBE scores 1000');
    await assert.rejects(s.campaigns.send(id), /did not pass the pre-send checks: .*GTUBE.*send with --force/s);
    assert.equal((await s.campaigns.status(id)).status, 'draft');
    // Forced, the pre-send checks are skipped; the opt-out self-test still runs (and needs the HTTP server, not started here).
    await assert.rejects(
      s.campaigns.send(id, undefined, { force: true }),
      (error: Error) => !/pre-send/.test(error.message),
    );
  });
});

describe('pre-send content score from a real rspamd', { skip: rspamdSkip || sqlite.skip }, () => {
  let rspamd: RspamdServer;
  let t: TestServices;
  before(async () => {
    rspamd = await startRspamd();
    t = await servicesFor(sqlite, {
      LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
      LISTWARDEN_RSPAMD_URL: rspamd.url,
      LISTWARDEN_DOMAIN_ZONES: '',
    });
    const list = await t.services.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
    await t.services.dkim.generate({ domain: 'shop.test' });
    await confirmedSignups(t.services, list, [{ email: 'kim@example.net' }]);
  });
  after(async () => {
    await t?.cleanup();
    await rspamd?.stop();
  });

  it('scores honest content below the threshold and names the symbols', async () => {
    const { id } = await t.services.campaigns.create({
      list: 'news',
      subject: 'Winter sale: 30% off coats',
      html: CLEAN,
    });
    const report = await t.services.campaigns.check(id);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.spam?.scorer, 'rspamd');
    assert.ok((report.spam?.score ?? 99) < (report.spam?.threshold ?? 0), JSON.stringify(report.spam));
    assert.ok((report.spam?.symbols.length ?? 0) > 0, 'rspamd names the rules it ran');
  });

  it('refuses content rspamd rejects, with its score in the reason', async () => {
    const s = t.services;
    const { id } = await s.campaigns.create({ list: 'news', subject: 'Winter sale', html: SPAMMY });
    const report = await s.campaigns.check(id);
    assert.equal(report.ok, false);
    assert.ok(
      report.findings.some((f) => f.id === 'spam-score'),
      JSON.stringify(report.findings),
    );
    assert.equal(report.spam?.scorer, 'rspamd');
    assert.ok((report.spam?.score ?? 0) >= (report.spam?.threshold ?? Infinity), JSON.stringify(report.spam));
    assert.ok(report.spam?.symbols.includes('GTUBE'), JSON.stringify(report.spam?.symbols));
    await assert.rejects(s.campaigns.send(id), /did not pass the pre-send checks/);
  });

  it('names rspamd when it cannot answer', async () => {
    const closed = await freeTcpPort();
    await assert.rejects(
      scoreWithRspamd(`http://127.0.0.1:${closed}`, Buffer.from('Subject: x\r\n\r\nhi\r\n'), 2000),
      new RegExp(`^Error: rspamd at http://127\\.0\\.0\\.1:${closed} cannot be reached: ECONNREFUSED$`),
    );
  });
});
