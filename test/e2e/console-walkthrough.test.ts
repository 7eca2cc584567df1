import { solidPng } from '../helpers/png.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { checkPage, chromiumSkip, launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postForm } from '../helpers/http.js';
import { cli, newInstance, startServer, type Instance, type RunningServer } from '../helpers/listwarden.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';

/** The page's document, as the functions run in the browser see it (the DOM library is not loaded here). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const OWNER = { email: 'owner@shop.test', password: 'a long owner password' };
const ROWS = 10_000;

async function mailTo(receiver: SmtpReceiver, address: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const found = receiver.received.find((m) => m.to.includes(address));
    if (found) return simpleParser(found.raw);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
}

/**
 * Issue 14's walk-through: a new owner from the setup link to a sent campaign, in Chromium with
 * JavaScript on (the live parts: the editor's preview, the progress over Server-Sent Events), a
 * real SMTP server receiving the mail, and an opt-out from a received mail on the dashboard.
 */
describe('the console, walked through by a new owner', { skip: chromiumSkip }, () => {
  let fresh: TestDatabase;
  let instance: Instance;
  let server: RunningServer;
  let receiver: SmtpReceiver;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const check = async (name: string) => {
    for (const v of await checkPage(browser, await page.content(), server.url, name))
      problems.push(`${name}: ${v.id} ${v.help} at ${v.targets.join(', ')}`);
  };
  const body = async () => (await page.textContent('main')) ?? '';

  before(async () => {
    fresh = await sqlite.fresh();
    receiver = await startSmtpReceiver(undefined, { delayMs: 0 });
    instance = newInstance(fresh.url, {
      LISTWARDEN_VERIFY_DOMAINS: 'false',
      LISTWARDEN_SMTP_URL: receiver.url,
      LISTWARDEN_OUTBOX_LEASE_SECONDS: '5',
      // The campaign should take a few seconds, so its progress is seen moving.
      LISTWARDEN_DESTINATION_RATE: '1500',
    });
    server = await startServer(instance);
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
    await fresh?.drop();
    instance?.cleanup();
  });

  it('sets up the first owner from the link serve prints, and signs in', async () => {
    const link = /(http:\/\/\S+\/setup\/[A-Za-z0-9_-]+)/.exec(server.logs())?.[1];
    assert.ok(link, server.logs());
    await page.goto(link);
    await page.getByLabel('Email address').fill(OWNER.email);
    await page.fill('#password', OWNER.password);
    await page.fill('#password2', OWNER.password);
    await Promise.all([page.waitForURL(`${server.url}/console`), page.keyboard.press('Enter')]);
    assert.match(await body(), /Dashboard/);
    await check('walk-dashboard-empty');
  });

  it('sets the postal address and makes a DKIM key in the settings', async () => {
    await page.goto(`${server.url}/console/settings`);
    await page.selectOption('#key', 'postal_address');
    await page.fill('#value', 'Shop BV, Keizersgracht 1, Amsterdam');
    await Promise.all([page.waitForURL(/saved=postal_address/), page.click('button:has-text("Save")')]);
    await page.fill('#dkim-domain', 'shop.test');
    await Promise.all([page.waitForURL(/saved=/), page.click('button:has-text("Make a DKIM key")')]);
    assert.match((await page.textContent('[role=status]')) ?? '', /DKIM key/);
  });

  it('creates a list, and a customer signs up on its hosted form in another browser and confirms', async () => {
    await page.goto(`${server.url}/console/lists`);
    await page.fill('#slug', 'news');
    await page.fill('#name', 'Shop news');
    await page.fill('#from', 'news@shop.test');
    await Promise.all([page.waitForURL(/saved=news/), page.click('button:has-text("Create")')]);
    await check('walk-lists');

    const customer = await (await browser.newContext()).newPage();
    await customer.goto(`${server.url}/s/news`);
    await customer.getByLabel('Email address').fill('customer@example.test');
    await Promise.all([customer.waitForLoadState(), customer.getByRole('button', { name: 'Subscribe' }).click()]);
    const mail = await mailTo(receiver, 'customer@example.test');
    const confirm = /https?:\/\/\S+\/c\/[A-Za-z0-9_.-]+/.exec(mail.text ?? '')?.[0];
    assert.ok(confirm, mail.text);
    await customer.goto(confirm);
    await customer.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await customer.waitForLoadState();
    assert.equal(await customer.locator('h1').textContent(), 'You are subscribed');
    await customer.context().close();
  });

  it('imports 10,000 rows from a CSV uploaded in the browser, with a column mapping and live progress', async () => {
    const csv = join(instance.dir, 'customers.csv');
    writeFileSync(
      csv,
      [
        'E-Mail;Full name;Signed up;IP;Shoe size',
        ...Array.from(
          { length: ROWS },
          (_, i) => `c${i}@example.test;C ${i};2025-03-01T10:00:00Z;192.0.2.7;${40 + (i % 8)}`,
        ),
        'not-an-address;Broken;2025-03-01T10:00:00Z;192.0.2.7;41',
      ].join('\n') + '\n',
    );
    await page.goto(`${server.url}/console/import`);
    await check('walk-import-upload');
    await page.setInputFiles('#file', csv);
    await Promise.all([
      page.waitForURL(/\/console\/import\/[A-Za-z0-9_-]{22}$/),
      page.click('button:has-text("Upload")'),
    ]);
    assert.equal(await page.inputValue('#column_0'), 'email', 'E-Mail is guessed as the address');
    assert.equal(await page.inputValue('#column_1'), 'name', 'Full name is guessed as the name');
    await page.fill('#column_2', 'confirmed_at');
    await page.fill('#column_3', 'confirm_ip');
    await page.fill('#column_4', 'shoe_size');
    await page.fill('#source', 'Customers of the old shop who ticked the newsletter box');
    await page.check('input[name=with_proof]');
    await check('walk-import-map');
    await page.click('button:has-text("Start the import")');
    await page.waitForFunction(
      () => /Done: \d+ rows read/.test(document.querySelector('main')?.textContent ?? ''),
      null,
      {
        timeout: 120_000,
      },
    );
    assert.match(await body(), new RegExp(`Imported\\s*${ROWS}`));
    assert.match(await body(), /Skipped as invalid\s*1/);
    await check('walk-import-done');
    const download = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("bad lines")')]);
    const { readFile } = await import('node:fs/promises');
    const bad = await readFile((await download[0].path())!, 'utf8');
    assert.match(bad, /^line,reason\n10002,"/, 'the bad line is named by its line number');
  });

  it("changes the list's consent text: a new version, the words that changed, the form's preview and embed code", async () => {
    await page.goto(`${server.url}/console/lists/news`);
    const before = await page.inputValue('#consentText');
    await page.fill('#consentText', `${before} And our weekly offers.`);
    await Promise.all([page.waitForURL(/saved=1/), page.click('button:has-text("Save the list")')]);
    assert.match(await body(), /Version 2 \(current\)/);
    assert.match(await body(), new RegExp(`${ROWS + 1}\\s*confirmed`), 'the imported and the signed-up');
    assert.equal((await page.textContent('.diff ins'))?.trim(), 'And our weekly offers.');
    const form = page.frameLocator('iframe.form-preview');
    assert.match(
      (await form.locator('body').textContent()) ?? '',
      /And our weekly offers\./,
      'the preview shows the new wording',
    );
    assert.equal(await page.getAttribute('iframe.form-preview', 'sandbox'), '');
    assert.match(await page.inputValue('#embed'), /<form[^>]+action="http:\/\/[^"]+\/s\/news"/);
    assert.equal(
      await page.isVisible('button:has-text("Copy the embed code")'),
      true,
      'the copy button shows with JavaScript',
    );
    await check('walk-list');
  });

  it('gives the shop its brand and the list a second language, all in the browser', async () => {
    // The logo, uploaded on the settings page, and the shop's name.
    await page.goto(`${server.url}/console/settings`);
    await page.setInputFiles('#logo', {
      name: 'logo.png',
      mimeType: 'image/png',
      buffer: solidPng(300, 100, [15, 118, 110]),
    });
    await Promise.all([page.waitForURL(/saved=brand\.logo/), page.click('button:has-text("Upload the logo")')]);
    assert.equal(
      await page
        .locator('img.logo-preview')
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      300,
    );
    await page.selectOption('#key', 'brand.name');
    await page.fill('#value', 'Walk Shop');
    await Promise.all([page.waitForURL(/saved=brand\.name/), page.click('button:has-text("Save")')]);
    // A file that is not an image is refused with a sentence, and the logo stays.
    await page.setInputFiles('#logo', {
      name: 'logo.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<svg onload="alert(1)"/>'),
    });
    await page.click('button:has-text("Upload the logo")');
    assert.match((await page.textContent('[role=alert]')) ?? '', /SVG images are not accepted/);
    await check('walk-settings-brand');

    // The list: its own accent, a German consent text, and the browser chooses.
    await page.goto(`${server.url}/console/lists/news`);
    await page.fill('#consentText_de', 'Ja, schickt mir die Neuigkeiten von Walk Shop per E-Mail.');
    await page.check('input[name=browserLanguage]');
    await page.fill('#brand_accent', '#0f766e');
    await Promise.all([page.waitForURL(/saved=1/), page.click('button:has-text("Save the list")')]);
    assert.match(await body(), /Version 3 \(current\), Deutsch/);
    await check('walk-list-languages');
    const german = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    // The server takes changed settings up within two seconds.
    for (let i = 0; i < 30; i++) {
      await german.goto(`${server.url}/s/news`);
      if ((await german.locator('.brand-bar img').count()) === 1) break;
      await german.waitForTimeout(200);
    }
    assert.equal(await german.locator('h1').textContent(), 'Shop news abonnieren');
    assert.equal(
      (await german.locator('#lw-consent').textContent())?.trim(),
      'Ja, schickt mir die Neuigkeiten von Walk Shop per E-Mail.',
    );
    assert.equal(await german.locator('.brand-bar img').getAttribute('alt'), 'Walk Shop');
    assert.equal(
      await german.evaluate("getComputedStyle(document.querySelector('main button')).backgroundColor"),
      'rgb(15, 118, 110)',
    );
    await german.context().close();
  });

  it('finds a person by the start of their name, prints their proof and exports their data', async () => {
    await page.goto(`${server.url}/console/subscribers`);
    await page.fill('#q', 'c 421');
    await page.check('input[name=by][value=name]');
    await page.click('button:has-text("Search")');
    const found = await page.locator('tbody td a').allTextContents();
    assert.deepEqual(found.slice(0, 2), ['c421@example.test', 'c4210@example.test']);
    assert.equal(found.length, 11, 'C 421 and C 4210 to C 4219');
    await page.click('text=c421@example.test');
    await page.click('a:has-text("Proof of consent")');
    assert.match(
      await body(),
      /Proof of consent[\s\S]*c421@example\.test[\s\S]*Imported[\s\S]*Customers of the old shop[\s\S]*confirmedAt 2025-03-01T10:00:00\.000Z, confirmIp 192\.0\.2\.7/,
    );
    await check('walk-proof');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('.console-nav'), false, 'the print stylesheet leaves the navigation out');
    await page.emulateMedia({ media: 'screen' });
    await page.goBack();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a:has-text("Export everything")'),
    ]);
    const { readFile } = await import('node:fs/promises');
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
      subscriber: { email: string; attributes: Record<string, unknown> };
    };
    assert.equal(exported.subscriber.email, 'c421@example.test');
    assert.equal(exported.subscriber.attributes.shoe_size, '45');
  });

  it('writes a campaign with a live preview at two widths, checks it and sends it with live progress', async () => {
    await page.goto(`${server.url}/console/campaigns/new`);
    // By keyboard: the fields and the two buttons in reading order.
    await page.focus('#list');
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const el = (
            globalThis as unknown as { document: { activeElement: { id: string; textContent: string } | null } }
          ).document.activeElement;
          return el?.id || (el?.textContent ?? '').trim();
        }),
      );
    }
    assert.deepEqual(order, ['subject', 'format', 'layout', 'html', 'text', 'Preview', 'Save the draft']);
    await page.selectOption('#list', 'news');
    await page.fill('#subject', 'Winter sale for {{ subscriber.name }}');
    await page.fill(
      '#html',
      '<h1>Hello {{ subscriber.name }}</h1><p>Our winter sale starts today: boots, coats and scarves for the cold months.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    );
    // htmx posts the form after typing stops and shows the preview without a reload.
    await page.waitForSelector('#preview iframe.phone', { timeout: 10_000 });
    assert.match(
      (await page.textContent('#preview')) ?? '',
      /Subject: Winter sale for Customer|Subject: Winter sale for/,
    );
    const frame = page.frameLocator('#preview iframe.desktop');
    assert.match((await frame.locator('body').textContent()) ?? '', /Our winter sale starts today[\s\S]*Keizersgracht/);
    assert.equal(await page.getAttribute('#preview iframe.desktop', 'sandbox'), '', 'no scripts, no same origin');
    // The live page as typed (checkPage renders the markup again, without what was typed).
    await page.locator('#preview').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500); // the frames paint once they are in view
    await page.screenshot({ path: join(SCREENSHOTS, 'walk-campaign-editor-live.png'), fullPage: true });
    await page.locator('#preview').screenshot({ path: join(SCREENSHOTS, 'walk-campaign-preview-live.png') });
    await check('walk-campaign-editor');
    await Promise.all([page.waitForURL(/\/console\/campaigns\/\d+$/), page.click('button:has-text("Save the draft")')]);
    const campaignUrl = page.url();

    await page.click('a:has-text("pre-send check")');
    assert.match(await body(), /Pre-send check/);
    await page.click('button:has-text("Run the pre-send check")');
    await page.waitForLoadState();
    assert.match(await body(), /Nothing stops the send|found errors/);
    await check('walk-campaign-check');

    await page.goto(campaignUrl);
    await page.click('button:has-text("Check and send now")');
    await page.waitForLoadState();
    assert.match(await body(), /Checked and sending/);
    // The progress fragment is replaced over SSE while the campaign runs: the sent count moves.
    const sentNow = async () => Number(/Sent\s*(\d+) of/.exec((await page.textContent('#progress')) ?? '')?.[1] ?? -1);
    await page.waitForFunction(
      () => /live: updated every second/.test(document.querySelector('#progress')?.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
    const first = await sentNow();
    await page.waitForFunction(
      (before) => {
        const m = /Sent\s*(\d+) of/.exec(document.querySelector('#progress')?.textContent ?? '');
        return m !== null && Number(m[1]) > before;
      },
      first,
      { timeout: 30_000 },
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'walk-campaign-sending-live.png'), fullPage: true });
    await check('walk-campaign-sending');
    await page.waitForFunction(
      () => /Status\s*finished/.test(document.querySelector('#progress')?.textContent ?? ''),
      null,
      {
        timeout: 120_000,
      },
    );
    await page.goto(campaignUrl);
    assert.match(await body(), /Results/);
    assert.match(await body(), new RegExp(`Sent\\s*${ROWS + 1} of ${ROWS + 1}`));
    await check('walk-campaign-results');
  });

  it('takes an opt-out from a received mail, and the dashboard shows it with the month', async () => {
    const mail = await mailTo(receiver, 'c42@example.test');
    const header = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    const url = /<(https?:\/\/[^>]+)>/.exec(header)?.[1];
    assert.ok(url, header);
    const oneClick = await postForm(url, { 'List-Unsubscribe': 'One-Click' });
    assert.equal(oneClick.status, 200);
    await page.goto(`${server.url}/console`);
    assert.match(await body(), /(\d+)\s*sent/);
    // The confirmation mail and the campaign's mails.
    assert.match(await body(), new RegExp(`${ROWS + 2}\\s*delivered`));
    assert.match(await body(), /1\s*unsubscribes/);
    assert.equal(await page.locator('svg.chart').count(), 2);
    await check('walk-dashboard');
  });

  it("keeps every action of the walk in the activity log, with the owner's address", async () => {
    await page.goto(`${server.url}/console/activity`);
    const text = await body();
    for (const action of [
      'list.update',
      'subscriber.export',
      'settings.set',
      'dkim.generate',
      'list.create',
      'import.upload',
      'import.start',
      'campaign.create',
      'campaign.send',
    ])
      assert.match(text, new RegExp(`${OWNER.email.replace('.', '\\.')}\\s*${action.replace('.', '\\.')}`), action);
    await check('walk-activity');
  });

  it('finds no serious or critical accessibility problem on the pages of the walk', () => {
    assert.deepEqual(problems, []);
  });

  it('keeps the owner out of the database: no error in the server log', () => {
    assert.doesNotMatch(server.logs(), /"level":50/);
    void cli;
  });
});
