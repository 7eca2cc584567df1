import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';
import {
  cli,
  confirmLink,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('hosted form in a real browser, keyboard only, JavaScript off', { skip: chromiumSkip }, () => {
  let fresh: TestDatabase;
  let instance: Instance;
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    fresh = await sqlite.fresh();
    instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
    const created = await cli(instance, ['lists', 'create', 'news', '--name', 'Shop News', '--from', 'news@shop.test']);
    assert.equal(created.code, 0, created.stderr);
    server = await startServer(instance);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await fresh?.drop();
    instance?.cleanup();
  });

  it('signs up and confirms with Tab, typing and Enter only', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/s/news`);
    assert.equal(await page.getByLabel('Email address').count(), 1, 'the email field has a label');
    assert.equal(await page.getByLabel('Name (optional)').count(), 1);

    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').getAttribute('id'), 'lw-email');
    await page.keyboard.type('keyboard.user@example.test');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').getAttribute('id'), 'lw-name');
    await page.keyboard.type('Kim');
    await page.keyboard.press('Tab');
    assert.equal((await page.locator(':focus').textContent())?.trim(), 'Subscribe', 'the hidden honeypot is skipped');
    await page.keyboard.press('Enter');
    // The answer is a new page; under load waitForLoadState alone can still see the form.
    await page
      .locator('h1', { hasText: 'Check your inbox' })
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    assert.equal(await page.locator('h1').textContent(), 'Check your inbox');

    const [mail] = await waitForMails(instance.captureDir, 'keyboard.user@example.test');
    await page.goto(confirmLink(mail!));
    await page.keyboard.press('Tab');
    assert.equal((await page.locator(':focus').textContent())?.trim(), 'Yes, subscribe me');
    await page.keyboard.press('Enter');
    // As above: under load waitForLoadState alone can still see the confirmation page.
    await page
      .locator('h1', { hasText: 'You are subscribed' })
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    assert.equal(await page.locator('h1').textContent(), 'You are subscribed');
    await context.close();
  });

  it('shows an error next to the field, announced to screen readers', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/s/news`);
    await page.getByLabel('Email address').fill('not-an-address');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForLoadState();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /needs an @/);
    assert.equal(await page.getByLabel('Email address').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Email address').getAttribute('aria-describedby'), 'email-error');
    await context.close();
  });
});
