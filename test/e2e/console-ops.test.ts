import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { checkPage, chromiumSkip, launchChromium } from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { dnsmasqSkip, startDnsmasq, txtRecord, type DnsServer } from '../helpers/dnsmasq.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { postForm, postJson, request } from '../helpers/http.js';
import {
  cli,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';
import { rbldnsdSkip, startRbldnsd, TEST_ENTRIES, type RbldnsdServer } from '../helpers/rbldnsd.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const OWNER = { email: 'owner@shop.test', password: 'an owner password' };
const VIEWER = { email: 'viewer@shop.test', password: 'a viewer password' };
const SCRIPT_FIXTURE = new URL('../fixtures/console/unreadable-with-script.eml', import.meta.url).pathname;
/** Unverified hard bounces ingested, more than one page of 50. */
const FORGED = 52;

/**
 * The console's operations pages (issue 14 items 7–9): feedback with the quarantine, reputation
 * (the neighbourhood map from a real rbldnsd, the domain checklist from a real dnsmasq) and the
 * host audit, seeded through the CLI and the server's own paths, checked in Chromium with axe.
 */
describe(
  'the console: feedback, reputation and the server audit, in a real browser',
  { skip: chromiumSkip || rbldnsdSkip || dnsmasqSkip },
  () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let browser: Browser;
    let bl: RbldnsdServer;
    let dns: DnsServer;
    let owner: Page;
    let viewer: Page;
    const problems: string[] = [];
    const check = async (page: Page, name: string) => {
      for (const v of await checkPage(browser, await page.content(), server.url, `ops-${name}`))
        problems.push(`${name}: ${v.id} ${v.help} at ${v.targets.join(', ')}`);
    };
    const ok = async (args: string[]) => {
      const result = await cli(instance, args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    };
    const signIn = async (who: { email: string; password: string }) => {
      const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
      await page.goto(`${server.url}/`);
      await page.fill('#email', who.email);
      await page.fill('#password', who.password);
      await Promise.all([page.waitForURL(`${server.url}/console`), page.click('button[type=submit]')]);
      return page;
    };
    /** Presses Tab until `selector` has the focus; false when it is never reached. */
    const reachByTab = async (page: Page, selector: string, presses = 80) => {
      await page.locator('body').focus();
      for (let i = 0; i < presses; i++) {
        await page.keyboard.press('Tab');
        if (await page.locator(selector).evaluate((el) => el.matches(':focus'))) return true;
      }
      return false;
    };
    const session = async (page: Page) => ({
      cookie: `lw_session=${(await page.context().cookies()).find((c) => c.name === 'lw_session')!.value}`,
      csrf: (await page.getAttribute('input[name=_csrf]', 'value')) ?? '',
    });

    before(async () => {
      bl = await startRbldnsd([
        {
          zone: 'zen.spamhaus.org',
          type: 'ip4set',
          lines: [...TEST_ENTRIES, '192.0.2.40 :10:PBL listing for $', '192.0.2.41 :10:PBL listing for $'],
        },
        {
          zone: 'watch.test.bl',
          type: 'ip4set',
          lines: [...TEST_ENTRIES, '192.0.2.17 :2:Spam from $', '192.0.2.18 :2:Spam from $'],
        },
      ]);
      const [, blPort] = bl.address.split(':');
      dns = await startDnsmasq([
        `--server=/watch.test.bl/127.0.0.1#${blPort}`,
        `--server=/zen.spamhaus.org/127.0.0.1#${blPort}`,
        txtRecord('shop.test', 'v=spf1 ip4:192.0.2.20 ~all'),
        '--ptr-record=20.2.0.192.in-addr.arpa,mail.shop.test',
      ]);
      fresh = await sqlite.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_BOUNCE_DOMAIN: 'shop.test',
        LISTWARDEN_SENDING_IPS: '192.0.2.20',
        LISTWARDEN_REPUTATION_RANGE: '24',
        LISTWARDEN_DNSBL_ZONES: 'zen.spamhaus.org,watch.test.bl',
        LISTWARDEN_DNS_SERVERS: dns.address,
        LISTWARDEN_DNS_TIMEOUT_MS: '500',
      });
      await ok(['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
      await ok(['dkim', 'generate', '--domain', 'shop.test', '--selector', 's1']);
      for (const [who, role] of [
        [OWNER, 'owner'],
        [VIEWER, 'viewer'],
      ] as const)
        await ok(['users', 'create', '--email', who.email, '--role', role, '--password', who.password]);
      // A whole audit of this host from the CLI is stored: the console shows it as the last run.
      const audit = await cli(instance, ['audit', '--json']);
      assert.ok(audit.code >= 0 && audit.code <= 3, audit.stderr);
      // Reports nobody can tie to our mail (unverified), an unreadable message with a script in it.
      const forged = join(instance.dir, 'forged');
      mkdirSync(forged);
      for (let i = 0; i < FORGED; i++)
        writeFileSync(
          join(forged, `dsn-${String(i).padStart(2, '0')}.eml`),
          fixture('postfix-dsn.eml', { RCPT: `gone${i}@example.net` }).replace(
            'Message-Id: <20250621183516.0A3541FB98@mail.shop.test>',
            `Message-Id: <forged-${i}@mail.shop.test>`,
          ),
        );
      writeFileSync(join(instance.dir, 'complaint.eml'), fixture('arf.eml'));
      await ok(['feedback', 'ingest', forged, join(instance.dir, 'complaint.eml'), SCRIPT_FIXTURE]);
      server = await startServer(instance);
      browser = await launchChromium();
      owner = await signIn(OWNER);
      viewer = await signIn(VIEWER);
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
      await dns?.stop();
      await bl?.stop();
    });

    it('lists feedback newest first with the reason and why, filters it, and pages by keyset', async () => {
      // A bounce of a message we really sent (the confirmation mail): verified, it acts.
      const accepted = await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, {
        email: 'kim@example.test',
      });
      assert.equal(accepted.status, 202, accepted.text);
      const [mail] = await waitForMails(instance.captureDir, 'kim@example.test');
      const msgid = /^Message-ID: <([^>]+)>/im.exec(mail!.raw)?.[1] ?? '';
      const bounce = join(instance.dir, 'kim-bounce.eml');
      writeFileSync(
        bounce,
        fixture('postfix-dsn.eml', { RCPT: 'kim@example.test', VERP: mail!.returnPath, MSGID: msgid }),
      );
      await ok(['feedback', 'ingest', bounce]);

      await viewer.goto(`${server.url}/console/feedback`);
      const rows = viewer.locator('#reports tbody tr');
      assert.equal(await rows.count(), 50, 'one page of 50');
      const first = (await rows.first().textContent()) ?? '';
      assert.match(first, /hard bounce/);
      assert.match(first, /kim@example\.test/);
      assert.match(first, /userunknown|5\.1\.1/);
      assert.match(first, /verified/);
      assert.doesNotMatch(first, /unverified/);
      await check(viewer, 'feedback');

      // Unverified complaints only: the ARF, with why it was not trusted.
      await viewer.selectOption('#kind', 'complaint');
      await viewer.selectOption('#verified', 'no');
      await Promise.all([viewer.waitForURL(/kind=complaint&verified=no/), viewer.click('button:has-text("Show")')]);
      assert.equal(await rows.count(), 1);
      assert.match(
        (await rows.first().textContent()) ?? '',
        /complaint.*unverified.*unverified: its VERP address carries a token that does not verify/s,
      );

      // Hard bounces, both kinds: 53 in all, 50 and then 3, never the same report twice.
      await viewer.goto(`${server.url}/console/feedback?kind=hard_bounce`);
      const page1 = await viewer.locator('#reports tbody tr td:first-child a').allTextContents();
      await viewer.click('a[rel=next]');
      assert.match(viewer.url(), /kind=hard_bounce&before=\d+/);
      const page2 = await viewer.locator('#reports tbody tr td:first-child a').allTextContents();
      assert.equal(page1.length + page2.length, FORGED + 1);
      assert.equal(new Set([...page1, ...page2]).size, FORGED + 1);
      assert.equal(await viewer.locator('a[rel=next]').count(), 0, 'the last page');

      for (const bad of ['kind=spam', 'verified=maybe', 'before=abc', 'kind=complaint&kind=notice']) {
        const answer = await request(`${server.url}/console/feedback?${bad}`, {
          headers: { cookie: (await session(viewer)).cookie },
        });
        assert.equal(answer.status, 400, bad);
        assert.match(answer.text, /role="alert">[A-Z][^<]+\.</, `${bad}: one sentence`);
      }
      assert.equal(
        (await request(`${server.url}/console/feedback/x1`, { headers: { cookie: (await session(viewer)).cookie } }))
          .status,
        400,
      );
    });

    it('shows one report, and a quarantined message escaped as text', async () => {
      await viewer.goto(`${server.url}/console/feedback?kind=complaint`);
      await viewer.click('#reports tbody tr td:first-child a');
      assert.match((await viewer.textContent('h1')) ?? '', /Report \d+: complaint/);
      assert.match((await viewer.textContent('main')) ?? '', /Unverified: it changed nothing\. Why: /);
      assert.match(
        (await viewer.textContent('main')) ?? '',
        /raw message of a report that could be read is not stored/,
      );
      await check(viewer, 'feedback-report');

      await viewer.goto(`${server.url}/console/feedback`);
      assert.match((await viewer.textContent('#quarantine + p + div')) ?? '', /not a bounce, a complaint/);
      await viewer.click('text=/^Message \\d+$/');
      assert.match((await viewer.textContent('h1')) ?? '', /Quarantined message \d+/);
      const raw = (await viewer.textContent('#raw')) ?? '';
      assert.ok(raw.includes('Hello <script>alert("pwned")</script> <b>bold</b>'), raw);
      assert.ok(raw.includes('Subject: <script>alert("subject")</script>'), 'the headers too, as written');
      // The whole message (an HTML parser reads CRLF in <pre> as LF).
      assert.equal(raw, readFileSync(SCRIPT_FIXTURE, 'utf8').replace(/\r\n/g, '\n'));
      assert.equal(await viewer.locator('main script, main b').count(), 0, 'nothing in it became markup');
      assert.match(await viewer.content(), /&lt;script&gt;alert\(/);
      await check(viewer, 'quarantined');
    });

    it('draws the neighbourhood map of the watched IP from the stored check, with a text alternative and the history', async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        await viewer.goto(`${server.url}/console/reputation`);
        if ((await viewer.locator('table.map').count()) > 0) break;
        assert.ok(Date.now() < deadline, 'the blocklist check ran at start');
        await new Promise((r) => setTimeout(r, 300));
      }
      const caption = (await viewer.textContent('table.map caption')) ?? '';
      assert.match(caption, /Map of 192\.0\.2\.0\/24/);
      const cell = (ip: string) => viewer.locator(`table.map td[title^="${ip}:"]`);
      assert.equal(await cell('192.0.2.20').getAttribute('class'), 'ours');
      assert.equal(await cell('192.0.2.20').textContent(), '@192.0.2.20: ours, not listed');
      assert.equal(await cell('192.0.2.17').getAttribute('class'), 'listed');
      assert.match((await cell('192.0.2.17').textContent()) ?? '', /listed in watch\.test\.bl/);
      assert.equal(await cell('192.0.2.40').getAttribute('class'), 'listed-pbl');
      assert.equal(await cell('192.0.2.1').getAttribute('class'), '');
      assert.equal(await viewer.locator('table.map td.listed, table.map td.listed-pbl').count(), 4);
      const main = (await viewer.textContent('main')) ?? '';
      assert.match(main, /192\.0\.2\.20 is not listed\.\s+4 neighbours listed\./);
      assert.match(main, /192\.0\.2\.17 in watch\.test\.bl/);
      assert.match(main, /192\.0\.2\.40 in zen\.spamhaus\.org: PBL/);
      assert.match((await viewer.textContent('#history + .table-wrap')) ?? '', /192\.0\.2\.20\/24\s*nowhere\s*4/);
      await check(viewer, 'reputation');
    });

    it('checks the sending domain only when asked, with the exact records to publish, and says when DNS fails', async () => {
      assert.equal(await viewer.locator('#checklist').count(), 0, 'no DNS until asked');
      assert.equal(await viewer.inputValue('#domain-name'), 'shop.test', 'the bounce domain first');
      assert.equal(await viewer.inputValue('#domain-ip'), '192.0.2.20');
      await Promise.all([viewer.waitForURL(/domain=shop\.test/), viewer.click('button:has-text("Check domain")')]);
      const checklist = (await viewer.textContent('#checklist')) ?? '';
      assert.match(checklist, /SPF\s*Pass/);
      assert.match(checklist, /DKIM\s*Fail\s*no DKIM record at s1\._domainkey\.shop\.test/);
      assert.match(checklist, /DMARC\s*Fail/);
      assert.match(checklist, /PTR\s*Pass/);
      assert.match(checklist, /FCRDNS\s*Fail/);
      const records = await viewer.locator('.panel pre').allTextContents();
      assert.ok(records.includes('v=DMARC1; p=none; rua=mailto:dmarc-reports@shop.test'), records.join('\n'));
      assert.ok(records.some((r) => /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/.test(r)));
      assert.ok(records.includes('192.0.2.20'), 'A mail.shop.test → our IP');
      assert.equal(await viewer.locator('button[data-copy="#record-1"]').count(), 1, 'a copy button per record');
      await check(viewer, 'reputation-domain');

      const cookie = (await session(viewer)).cookie;
      const slow = await request(`${server.url}/console/reputation?domain=slow.blackhole.test&ip=192.0.2.20`, {
        headers: { cookie },
      });
      assert.equal(slow.status, 503);
      assert.match(slow.text, /role="alert">The DNS check of slow\.blackhole\.test (failed|did not finish)[^<]+\.</);
      const badIp = await request(`${server.url}/console/reputation?domain=shop.test&ip=999.1.1.1`, {
        headers: { cookie },
      });
      assert.equal(badIp.status, 400);
      assert.match(badIp.text, /The sending IP is not an IP address\./);
      const badDomain = await request(`${server.url}/console/reputation?domain=%3Cscript%3E&ip=192.0.2.20`, {
        headers: { cookie },
      });
      assert.equal(badDomain.status, 400);
      assert.doesNotMatch(badDomain.text, /<script>/);
    });

    it('shows the last audit and its history; a viewer cannot run it, an owner can', async () => {
      await viewer.goto(`${server.url}/console/audit`);
      const main = (await viewer.textContent('main')) ?? '';
      assert.match(main, /\d+\/100 hygiene score/);
      assert.match(main, /by cli/);
      assert.equal(await viewer.locator('#runs tbody tr').count(), 1);
      assert.equal(await viewer.locator('button:has-text("Run the audit again")').count(), 0);
      assert.match(main, /Only an owner runs the audit again/);
      await check(viewer, 'audit');
      const { cookie, csrf } = await session(viewer);
      const refused = await postForm(`${server.url}/console/audit/run`, { _csrf: csrf }, { cookie });
      assert.equal(refused.status, 403);
      assert.match(refused.text, /needs the owner role; you are signed in as viewer/);

      await owner.goto(`${server.url}/console/audit`);
      await Promise.all([
        owner.waitForURL(/\/console\/audit\?ran=\d+/, { timeout: 60_000 }),
        owner.click('button:has-text("Run the audit again")'),
      ]);
      assert.match((await owner.textContent('[role=status]')) ?? '', /Done: run \d+ is below/);
      const runs = await owner.locator('#runs tbody tr').allTextContents();
      assert.equal(runs.length, 2);
      assert.match(runs[0] ?? '', /console \(owner@shop\.test\)/);
      assert.match(runs[1] ?? '', /cli/);
      assert.match((await owner.textContent('main')) ?? '', /by console \(owner@shop\.test\)/);
      await check(owner, 'audit-owner');

      // Two at once: one run, the second request waits for it.
      const again = await session(owner);
      const [a, b] = await Promise.all([
        postForm(`${server.url}/console/audit/run`, { _csrf: again.csrf }, { cookie: again.cookie }),
        postForm(`${server.url}/console/audit/run`, { _csrf: again.csrf }, { cookie: again.cookie }),
      ]);
      assert.deepEqual([a.status, b.status], [303, 303]);
      const ids = [a, b].map((r) => /ran=(\d+)/.exec(r.headers.get('location') ?? '')?.[1]);
      assert.equal(ids[0], ids[1], 'the same run');
      assert.ok([a, b].some((r) => /joined=1/.test(r.headers.get('location') ?? '')));
    });

    it('reaches the main controls by keyboard', async () => {
      await viewer.goto(`${server.url}/console/feedback`);
      assert.ok(await reachByTab(viewer, '#kind'), 'the kind filter');
      assert.ok(await reachByTab(viewer, 'button:has-text("Show")'), 'the filter button');
      await viewer.goto(`${server.url}/console/reputation`);
      assert.ok(await reachByTab(viewer, '#domain-name', 120), 'the domain field');
      assert.ok(await reachByTab(viewer, 'button:has-text("Check domain")', 120), 'the check button');
      await owner.goto(`${server.url}/console/audit`);
      assert.ok(await reachByTab(owner, 'button:has-text("Run the audit again")'), 'the audit button');
    });

    it('finds no serious or critical accessibility problem on these pages', () => {
      assert.deepEqual(problems, []);
    });
  },
);
