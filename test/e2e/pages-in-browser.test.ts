import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTokenCodec } from '../../src/consent/tokens.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { checkPage, chromiumSkip, launchChromium } from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import {
  capturedMails,
  cli,
  confirmLink,
  newInstance,
  startServer,
  TEST_SECRET,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const codec = createTokenCodec([TEST_SECRET]);
const EMAIL = 'pages.user@example.test';

/**
 * Every public page a subscriber meets, in headless Chromium: axe-core finds no serious or critical
 * violation at desktop and phone width (screenshots in test-results/screenshots), and the data
 * pages work by keyboard with JavaScript off.
 */
describe(
  'public pages in a real browser: accessible at desktop and phone width, usable by keyboard',
  { skip: chromiumSkip },
  () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let db: Database;
    const problems: string[] = [];

    async function check(name: string): Promise<void> {
      const violations = await checkPage(browser, await page.content(), server.url, name);
      for (const v of violations) problems.push(`${name}: ${v.id} ${v.help} at ${v.targets.join(', ')}`);
    }

    async function ids() {
      const s = await db.db
        .selectFrom('subscribers')
        .select('id')
        .where('email_key', '=', EMAIL)
        .executeTakeFirstOrThrow();
      const l = await db.db.selectFrom('lists').select('id').where('slug', '=', 'news').executeTakeFirstOrThrow();
      return { subscriberId: s.id, listId: l.id };
    }

    before(async () => {
      fresh = await sqlite.fresh();
      instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
      for (const [slug, name] of [
        ['news', 'Shop News'],
        ['deals', 'Deals'],
      ] as const) {
        const created = await cli(instance, ['lists', 'create', slug, '--name', name, '--from', `${slug}@shop.test`]);
        assert.equal(created.code, 0, created.stderr);
      }
      server = await startServer(instance);
      browser = await launchChromium();
      context = await browser.newContext({ javaScriptEnabled: false });
      page = await context.newPage();
      db = openDatabase(fresh.url);
    });

    after(async () => {
      await db?.close();
      await browser?.close();
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('signup, confirmation, unsubscribe and error pages', async () => {
      // `/` guides a first run: what is running, what to do next, the lists' forms.
      await page.goto(`${server.url}/`);
      assert.equal(await page.locator('h1').textContent(), 'Listwarden is running');
      assert.equal(await page.getByRole('link', { name: 'Shop News' }).getAttribute('href'), `${server.url}/s/news`);
      await check('start');
      await page.goto(`${server.url}/s/news`);
      await check('signup');
      await page.getByLabel('Email address').fill('not-an-address');
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('alert').waitFor();
      await check('signup-error');
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.locator('h1', { hasText: 'Check your inbox' }).waitFor();
      await check('signup-done');

      const [mail] = await waitForMails(instance.captureDir, EMAIL);
      await page.goto(confirmLink(mail!));
      await check('confirm');
      await page.getByRole('button', { name: 'Yes, subscribe me' }).click();
      await page.locator('h1', { hasText: 'You are subscribed' }).waitFor();
      await check('confirmed');

      const { subscriberId, listId } = await ids();
      await page.goto(`${server.url}/u/${codec.sign('unsubscribe', subscriberId, listId)}`);
      await check('unsubscribe');
      await page.goto(`${server.url}/c/${'A'.repeat(43)}`);
      await check('link-invalid');
      await page.goto(`${server.url}/no-such-page`);
      await check('not-found');
      assert.deepEqual(problems, []);
    });

    it('preferences and data pages, by keyboard only', async () => {
      const { subscriberId } = await ids();
      await page.goto(`${server.url}/p/${codec.sign('preferences', subscriberId, 0)}`);
      await check('preferences');
      // Tab to "Email me a link" (after the leave buttons and "Unsubscribe from everything") and press Enter.
      let found = false;
      for (let i = 0; i < 10 && !found; i++) {
        await page.keyboard.press('Tab');
        found = (await page.locator(':focus').textContent())?.trim() === 'Email me a link';
      }
      assert.ok(found, 'the data-link button is reachable by Tab');
      await page.keyboard.press('Enter');
      await page.getByRole('status').waitFor();
      assert.match((await page.getByRole('status').textContent()) ?? '', /We sent a link to pages\.user@example\.test/);
      await check('preferences-link-sent');

      const mails = await waitForMails(instance.captureDir, EMAIL, 2);
      const dataMail = mails.find((m) => /download or delete/i.test(m.parsed.subject ?? ''));
      const link = /https?:\/\/\S+\/d\/[A-Za-z0-9_-]{43}/.exec(dataMail?.parsed.text ?? '')?.[0];
      assert.ok(link, 'the data link arrived by mail');
      await page.goto(link);
      await check('data');
      await page.keyboard.press('Tab');
      assert.equal((await page.locator(':focus').textContent())?.trim(), 'Download my data');
      await page.keyboard.press('Tab');
      assert.equal(await page.locator(':focus').getAttribute('type'), 'checkbox');
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      assert.equal((await page.locator(':focus').textContent())?.trim(), 'Delete my data');
      await page.keyboard.press('Enter');
      await page.locator('h1', { hasText: 'Your data is deleted' }).waitFor();
      await check('deleted');
      assert.equal((await db.db.selectFrom('subscribers').select('id').execute()).length, 0);
      assert.equal((await capturedMails(instance.captureDir)).length, 0, 'erasure took the captured mail too');
      assert.deepEqual(problems, []);
    });
  },
);
