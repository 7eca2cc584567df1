import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTokenCodec } from '../../src/consent/tokens.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { checkPage, chromiumSkip, launchChromium } from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import {
  cli,
  confirmLink,
  headerValue,
  newInstance,
  startServer,
  TEST_SECRET,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';
import { postForm } from '../helpers/http.js';
import { solidPng } from '../helpers/png.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const codec = createTokenCodec([TEST_SECRET]);
const ANNA = 'anna.de@example.test';
const JOHN = 'john.en@example.test';
const GERMAN = 'Ja, ich möchte Neuigkeiten und Angebote von Shop News per E-Mail erhalten. Abmelden geht jederzeit.';
const ENGLISH = 'Yes, send me news and offers from Shop News by email. I can leave at any time.';

/**
 * The pages a shop's customer meets, in the shop's brand (logo uploaded through the CLI, name,
 * accent, shop and privacy links, postal address) and in their language: a German and an English
 * browser on one list that lets the browser choose, a Dutch list with its own brand. In headless
 * Chromium at desktop and phone width, light and dark (screenshots in test-results/screenshots),
 * with axe-core finding no serious or critical violation, driven by keyboard where a person types.
 */
describe('pages and mail in the brand and the language of the customer', { skip: chromiumSkip }, () => {
  let fresh: TestDatabase;
  let instance: Instance;
  let server: RunningServer;
  let browser: Browser;
  let db: Database;
  const problems: string[] = [];

  async function check(page: Page, name: string): Promise<void> {
    const violations = await checkPage(browser, await page.content(), server.url, `brand-${name}`);
    for (const v of violations) problems.push(`${name}: ${v.id} ${v.help} at ${v.targets.join(', ')}`);
  }

  async function browserIn(locale: string): Promise<{ context: BrowserContext; page: Page }> {
    // A visitor without JavaScript: every page works with forms alone.
    const context = await browser.newContext({ javaScriptEnabled: false, locale });
    return { context, page: await context.newPage() };
  }

  async function idsOf(email: string, slug: string) {
    const s = await db.db
      .selectFrom('subscribers')
      .select('id')
      .where('email_key', '=', email)
      .executeTakeFirstOrThrow();
    const l = await db.db.selectFrom('lists').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    return { subscriberId: s.id, listId: l.id };
  }

  async function run(args: string[]): Promise<string> {
    const result = await cli(instance, args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  before(async () => {
    fresh = await sqlite.fresh();
    instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
    const logo = join(instance.dir, 'logo.png');
    writeFileSync(logo, solidPng(240, 80, [194, 24, 91]));
    await run(['settings', 'set', 'brand.logo', logo]);
    await run(['settings', 'set', 'brand.name', 'Tulip Shop']);
    await run(['settings', 'set', 'brand.shop_url', 'https://shop.example/']);
    await run(['settings', 'set', 'brand.privacy_url', 'https://shop.example/privacy']);
    await run(['settings', 'set', 'brand.accent', '#c2185b']);
    await run(['settings', 'set', 'postal_address', 'Tulip Shop BV, Keizersgracht 1, 1015 CJ Amsterdam']);
    await run(['lists', 'create', 'news', '--name', 'Shop News', '--from', 'Tulip Shop <news@shop.test>']);
    await run(['lists', 'update', 'news', '--language', 'de', '--consent-text', GERMAN, '--browser-language']);
    await run(['lists', 'update', 'news', '--consent-language', 'en', '--consent-text', ENGLISH]);
    await run([
      'lists',
      'create',
      'deals',
      '--name',
      'Koopjes',
      '--from',
      'deals@shop.test',
      '--language',
      'nl',
      '--consent-text',
      'Ja, ik wil de koopjes van Tulip Outlet per e-mail ontvangen. Afmelden kan altijd.',
      '--brand-name',
      'Tulip Outlet',
      '--brand-accent',
      '#0f766e',
      '--brand-shop-url',
      'https://outlet.shop.example/',
    ]);
    server = await startServer(instance);
    browser = await launchChromium();
    db = openDatabase(fresh.url);
  });

  after(async () => {
    await db?.close();
    await browser?.close();
    await server?.stop();
    await fresh?.drop();
    instance?.cleanup();
  });

  it('a German customer: form, mail, confirmation in German and the brand; the proof shows the German wording and its version', async () => {
    const { context, page } = await browserIn('de-DE');
    await page.goto(`${server.url}/s/news`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.locator('h1').textContent(), 'Shop News abonnieren');
    assert.equal((await page.locator('#lw-consent').textContent())?.trim(), GERMAN);
    assert.equal(
      await page.getByRole('link', { name: 'Startseite von Tulip Shop' }).getAttribute('href'),
      'https://shop.example/',
    );
    assert.equal(
      await page.getByRole('link', { name: 'Datenschutzerklärung' }).getAttribute('href'),
      'https://shop.example/privacy',
    );
    assert.match((await page.locator('footer').textContent()) ?? '', /Keizersgracht 1/);
    const logo = page.getByRole('img', { name: 'Startseite von Tulip Shop' });
    assert.match((await logo.getAttribute('src')) ?? '', /\/brand\/[0-9a-f]{32}\.png$/);
    assert.equal(
      await logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      240,
      'the logo loads from our origin',
    );
    await check(page, 'de-signup');

    // A typo the page answers in German, by keyboard.
    await page.getByLabel('E-Mail-Adresse').focus();
    await page.keyboard.type('anna@');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByRole('alert').textContent(), 'Die Domain nach dem @ fehlt.');
    await check(page, 'de-signup-error');
    await page.getByLabel('E-Mail-Adresse').fill(ANNA);
    await page.keyboard.press('Tab'); // the name
    await page.keyboard.type('Anna');
    await page.keyboard.press('Tab'); // the button
    assert.equal((await page.locator(':focus').textContent())?.trim(), 'Abonnieren');
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Bitte sehen Sie in Ihr Postfach' }).waitFor();
    await check(page, 'de-signup-done');

    const [mail] = await waitForMails(instance.captureDir, ANNA);
    assert.equal(mail!.parsed.subject, 'Bitte bestätigen Sie Ihr Abonnement für Shop News');
    assert.equal(headerValue(mail!, 'Content-Language'), 'de');
    assert.match(mail!.parsed.text ?? '', new RegExp(`Dem haben Sie zugestimmt:\\n"${GERMAN}"`));
    assert.match(mail!.parsed.text ?? '', /Tulip Shop BV, Keizersgracht 1/);
    assert.match(
      String(mail!.parsed.html),
      /<img src="http:\/\/127\.0\.0\.1:\d+\/brand\/[0-9a-f]{32}\.png" width="144" height="48" alt="Tulip Shop"/,
    );
    assert.match(String(mail!.parsed.html), /background: #c2185b; color: #ffffff/);

    await page.goto(confirmLink(mail!));
    assert.equal(await page.locator('h1').textContent(), 'Bestätigen Sie Ihr Abonnement für Shop News');
    await check(page, 'de-confirm');
    await page.getByRole('button', { name: 'Ja, jetzt abonnieren' }).click();
    await page.locator('h1', { hasText: 'Sie sind angemeldet' }).waitFor();
    // No dead end: back to the shop, or to one's subscriptions.
    assert.equal(
      await page.getByRole('link', { name: 'Zurück zu Tulip Shop' }).getAttribute('href'),
      'https://shop.example/',
    );
    assert.match(
      (await page.getByRole('link', { name: 'Ihre Abonnements verwalten' }).getAttribute('href')) ?? '',
      /\/p\//,
    );
    await check(page, 'de-confirmed');

    const proof = await run(['consent', 'proof', ANNA, '--list', 'news']);
    assert.match(
      proof,
      /Signed up[\s\S]*source: +http:\/\/127\.0\.0\.1:\d+\/s\/news\n/,
      'the hosted form records its own page',
    );
    assert.match(proof, new RegExp(`wording shown \\(version 2, language de\\):\\n +"${GERMAN}"`));
    await context.close();
  });

  it('an English browser on the same list gets the English wording and pages; a French one the list language', async () => {
    const { context, page } = await browserIn('en-GB');
    await page.goto(`${server.url}/s/news`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.locator('h1').textContent(), 'Subscribe to Shop News');
    assert.equal((await page.locator('#lw-consent').textContent())?.trim(), ENGLISH);
    await check(page, 'en-signup');
    await page.getByLabel('Email address').fill(JOHN);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.locator('h1', { hasText: 'Check your inbox' }).waitFor();
    await check(page, 'en-signup-done');
    const [mail] = await waitForMails(instance.captureDir, JOHN);
    assert.equal(mail!.parsed.subject, 'Please confirm your subscription to Shop News');
    await page.goto(confirmLink(mail!));
    await check(page, 'en-confirm');
    await page.getByRole('button', { name: 'Yes, subscribe me' }).click();
    await page.locator('h1', { hasText: 'You are subscribed' }).waitFor();
    await check(page, 'en-confirmed');
    const proof = await run(['consent', 'proof', JOHN, '--list', 'news']);
    assert.match(proof, new RegExp(`wording shown \\(version 3, language en\\):\\n +"${ENGLISH}"`));
    await context.close();

    // French has no consent text on this list: the list's own language, German.
    const french = await browserIn('fr-FR');
    await french.page.goto(`${server.url}/s/news`);
    assert.equal(await french.page.locator('html').getAttribute('lang'), 'de');
    await french.context.close();
  });

  it('unsubscribe and the preference centre in German; a rejoin is a new double opt-in with its own proof', async () => {
    const { context, page } = await browserIn('de-DE');
    const { subscriberId, listId } = await idsOf(ANNA, 'news');
    await page.goto(`${server.url}/u/${codec.sign('unsubscribe', subscriberId, listId)}`);
    assert.equal(await page.locator('h1').textContent(), 'Von Shop News abmelden');
    await check(page, 'de-unsubscribe');
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.locator('h1', { hasText: 'Sie sind abgemeldet' }).waitFor();
    assert.equal(
      await page.getByRole('link', { name: 'Zurück zu Tulip Shop' }).getAttribute('href'),
      'https://shop.example/',
    );
    await check(page, 'de-unsubscribed');

    await page.getByRole('link', { name: 'Ihre Abonnements verwalten' }).first().click();
    await page.locator('h1', { hasText: 'Ihre Abonnements' }).waitFor();
    assert.match((await page.locator('.lists li').textContent()) ?? '', /Shop News\s+abgemeldet/);
    assert.match((await page.locator('.lists .consent').textContent()) ?? '', new RegExp(GERMAN));
    await check(page, 'de-preferences-left');
    // Rejoin by keyboard: the button is reachable and says what it does.
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.locator(':focus').textContent())?.trim() === 'Shop News wieder abonnieren';
    }
    assert.ok(found, 'the rejoin button is reachable by Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('status').waitFor();
    assert.match((await page.getByRole('status').textContent()) ?? '', /Bitte sehen Sie in Ihr Postfach/);
    assert.match((await page.locator('.lists li').textContent()) ?? '', /wartet auf Ihre Bestätigung/);
    await check(page, 'de-preferences-rejoined');
    const subscription = () =>
      db.db
        .selectFrom('subscriptions')
        .select('status')
        .where('subscriber_id', '=', subscriberId)
        .where('list_id', '=', listId)
        .executeTakeFirstOrThrow();
    assert.equal((await subscription()).status, 'pending', 'never a silent flip back');

    const mails = await waitForMails(instance.captureDir, ANNA, 2);
    const [first, second] = mails;
    // The link of the first mail, from before she left, cannot confirm the rejoin.
    await page.goto(confirmLink(first!));
    assert.equal(await page.locator('h1').textContent(), 'Dieser Link funktioniert nicht');
    assert.match((await page.getByRole('alert').textContent()) ?? '', /bevor Sie sich abgemeldet haben/);
    await check(page, 'de-link-before-leaving');
    assert.equal((await subscription()).status, 'pending');
    await page.goto(confirmLink(second!));
    await page.getByRole('button', { name: 'Ja, jetzt abonnieren' }).click();
    await page.locator('h1', { hasText: 'Sie sind angemeldet' }).waitFor();
    assert.equal((await subscription()).status, 'confirmed');

    const proof = await run(['consent', 'proof', ANNA, '--list', 'news']);
    const events = [...proof.matchAll(/^\S+Z {2}(.+)$/gm)].map((m) => m[1]);
    assert.deepEqual(events, [
      'Signed up',
      'Confirmation mail sent',
      'Confirmed',
      'Unsubscribed',
      'Signed up',
      'Confirmation mail sent',
      'Confirmed',
    ]);
    const rejoin = proof.slice(proof.indexOf('Unsubscribed'));
    assert.match(
      rejoin,
      /Signed up\n +from IP: +127\.0\.0\.1\n +browser: +.*Chrome.*\n +source: +http:\/\/127\.0\.0\.1:\d+\/p\/\n/,
    );
    assert.match(rejoin, new RegExp(`wording shown \\(version 2, language de\\):\\n +"${GERMAN}"`));
    await context.close();
  });

  it('every page in German and in English, with the brand: accessible at both widths, light and dark', async () => {
    for (const [locale, email, words] of [
      ['de-DE', ANNA, { expired: 'Dieser Bestätigungslink ist abgelaufen', resend: 'Neuen Link senden' }],
      ['en-GB', JOHN, { expired: 'This confirmation link has expired', resend: 'Send me a new link' }],
    ] as const) {
      const lang = locale.slice(0, 2);
      const { context, page } = await browserIn(locale);
      const { subscriberId, listId } = await idsOf(email, 'news');
      const pages: Array<[string, string]> = [
        ['confirm-already', `/c/${codec.sign('confirm', subscriberId, listId)}`],
        ['unsubscribe', `/u/${codec.sign('unsubscribe', subscriberId, listId)}`],
        ['preferences', `/p/${codec.sign('preferences', subscriberId, 0)}`],
        ['data', `/d/${codec.sign('data', subscriberId, 0)}`],
        ['link-invalid', `/p/${'A'.repeat(43)}`],
        ['not-found', '/s/no-such-list'],
      ];
      for (const [name, path] of pages) {
        await page.goto(`${server.url}${path}`);
        assert.equal(await page.locator('html').getAttribute('lang'), lang, `${name} in ${lang}`);
        assert.equal(await page.locator('.brand-bar img').count(), 1, `${name}: the logo`);
        await check(page, `${lang}-${name}`);
      }
      // An expired link (of someone who never confirmed) offers a fresh mail; the answer is the "resent" page.
      const late = `late.${lang}@example.test`;
      assert.equal(
        (await postForm(`${server.url}/s/news`, { email: late }, { 'accept-language': locale })).status,
        200,
      );
      const pending = await idsOf(late, 'news');
      await page.goto(
        `${server.url}/c/${codec.sign('confirm', pending.subscriberId, pending.listId, Date.now() - 30 * 86_400_000)}`,
      );
      assert.match((await page.locator('h1').textContent()) ?? '', new RegExp(words.expired));
      await check(page, `${lang}-link-expired`);
      await page.getByRole('button', { name: words.resend }).click();
      await page.getByRole('status').waitFor();
      assert.equal(await page.locator('html').getAttribute('lang'), lang);
      await check(page, `${lang}-resent`);
      await context.close();
    }
  });

  it('a campaign in the default layout: the brand, the German footer, readable text, under 102 KB, at phone and desktop width in light and dark', async () => {
    const content = join(instance.dir, 'sale.html');
    writeFileSync(
      content,
      '<h1>Winterschlussverkauf</h1><p>Hallo {{ subscriber.name }}, bis Sonntag 20 % auf alles.</p><p><a href="https://shop.example/sale">Zum Sale</a></p>',
    );
    const created = JSON.parse(
      await run([
        'campaigns',
        'create',
        '--list',
        'news',
        '--subject',
        'Winterschlussverkauf',
        '--html',
        content,
        '--json',
      ]),
    ) as { id: number };
    // The CLI runs the opt-out self-test against the running server, at its address.
    instance.env.LISTWARDEN_PUBLIC_URL = server.url;
    await run(['campaigns', 'send', String(created.id), '--force']);
    const mails = await waitForMails(instance.captureDir, ANNA, 3, 30_000);
    const sale = mails.find((m) => m.parsed.subject === 'Winterschlussverkauf');
    assert.ok(sale, 'the campaign arrived');
    const html = String(sale.parsed.html);
    assert.ok(Buffer.byteLength(html) < 102 * 1024, `${Buffer.byteLength(html)} bytes: Gmail clips at 102 KB`);
    assert.match(html, /<html lang="de"/);
    assert.match(html, /\/brand\/[0-9a-f]{32}\.png/);
    assert.match(sale.parsed.text ?? '', /Hallo Anna, bis Sonntag 20 % auf alles\./);
    assert.match(sale.parsed.text ?? '', /Abmelden \[http:\/\/127\.0\.0\.1:\d+\/u\/[A-Za-z0-9_-]{43}\]/);
    assert.match(sale.parsed.text ?? '', /Tulip Shop BV, Keizersgracht 1/);
    assert.doesNotMatch(sale.parsed.text ?? '', /<|\{\{/);
    // Chromium as the mail program we can run: nothing wider than a phone, and the checks of every page.
    const { context, page } = await browserIn('de-DE');
    await page.setViewportSize({ width: 375, height: 740 });
    await page.setContent(html);
    assert.ok(
      ((await page.evaluate('document.documentElement.scrollWidth')) as number) <= 375,
      'no sideways scrolling on a phone',
    );
    await check(page, 'campaign-newsletter');
    await context.close();
  });

  it("a Dutch list in its own brand; the data page and a broken link in the visitor's language", async () => {
    const { context, page } = await browserIn('nl-NL');
    await page.goto(`${server.url}/s/deals`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'nl');
    assert.equal(await page.locator('h1').textContent(), 'Inschrijven voor Koopjes');
    // The list's own name and shop; the logo is the shop's (the list has none of its own).
    assert.equal(await page.locator('.brand-bar img').getAttribute('alt'), 'Homepage van Tulip Outlet');
    assert.equal(await page.locator('.brand-bar a').getAttribute('href'), 'https://outlet.shop.example/');
    const accent = await page.evaluate(
      "getComputedStyle(document.querySelector('main button[type=submit]')).backgroundColor",
    );
    assert.equal(accent, 'rgb(15, 118, 110)');
    await check(page, 'nl-signup');
    const { subscriberId } = await idsOf(ANNA, 'news');
    await page.goto(`${server.url}/d/${codec.sign('data', subscriberId, 0)}`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'de', "the person's list decides, not the browser");
    await page.goto(`${server.url}/u/${'A'.repeat(43)}`);
    assert.equal(await page.locator('h1').textContent(), 'Deze link werkt niet');
    await check(page, 'nl-link-invalid');
    await context.close();
    assert.deepEqual(problems, []);
  });
});
