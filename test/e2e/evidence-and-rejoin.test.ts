import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTokenCodec } from '../../src/consent/tokens.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { suppressionHash } from '../../src/consent/suppression-key.js';
import { suppress } from '../../src/consent/consent.repo.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postForm, request, visibleText } from '../helpers/http.js';
import {
  cli,
  confirmLink,
  newInstance,
  startServer,
  TEST_SECRET,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';
import { solidPng } from '../helpers/png.js';

const codec = createTokenCodec([TEST_SECRET]);

for (const dialect of DIALECTS) {
  describe(`exact evidence, rejoining and the brand's logo on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let db: Database;

    async function run(args: string[]): Promise<string> {
      const result = await cli(instance, args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    }
    async function signupSource(email: string): Promise<string | null> {
      const row = await db.db
        .selectFrom('consent_events as e')
        .innerJoin('subscribers as s', 's.id', 'e.subscriber_id')
        .select('e.source')
        .where('s.email_key', '=', email)
        .where('e.type', '=', 'signup')
        .orderBy('e.id', 'desc')
        .executeTakeFirstOrThrow();
      return row.source;
    }
    async function subscriberId(email: string): Promise<number> {
      return (
        await db.db.selectFrom('subscribers').select('id').where('email_key', '=', email).executeTakeFirstOrThrow()
      ).id;
    }
    async function statusOf(email: string, list: string) {
      const row = await db.db
        .selectFrom('subscriptions as sn')
        .innerJoin('subscribers as s', 's.id', 'sn.subscriber_id')
        .innerJoin('lists as l', 'l.id', 'sn.list_id')
        .select('sn.status')
        .where('s.email_key', '=', email)
        .where('l.slug', '=', list)
        .executeTakeFirst();
      return row?.status;
    }
    const suppression = async (email: string) =>
      (
        await db.db
          .selectFrom('suppressions')
          .select('reason')
          .where('email_hash', '=', suppressionHash(email))
          .executeTakeFirst()
      )?.reason;

    async function confirmedMember(email: string, lists: string[]): Promise<void> {
      for (const list of lists) {
        assert.equal((await postForm(`${server.url}/s/${list}`, { email })).status, 200);
        const mails = await waitForMails(instance.captureDir, email, lists.indexOf(list) + 1);
        const link = confirmLink(mails[mails.length - 1]!);
        assert.equal((await request(link, { method: 'POST' })).status, 200);
      }
    }

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
      await run([
        'lists',
        'create',
        'news',
        '--name',
        'Shop News',
        '--from',
        'news@shop.test',
        '--allowed-origins',
        'https://shop.example',
      ]);
      await run(['lists', 'create', 'deals', '--name', 'Deals', '--from', 'deals@shop.test']);
      server = await startServer(instance);
      db = openDatabase(fresh.url);
    });

    after(async () => {
      await db?.close();
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('records the page a form was on: the hosted form its own, an embedded form the page of an allowed origin only', async () => {
      const post = (email: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
        postForm(`${server.url}/s/news`, { email, ...fields }, headers);
      const blog = 'https://shop.example/blog/winter-sale?ref=footer';

      assert.equal((await post('hosted@example.test', {})).status, 200);
      assert.equal(await signupSource('hosted@example.test'), `${server.url}/s/news`, 'the hosted form: its own page');

      assert.equal(
        (await post('embedded@example.test', { page: blog }, { origin: 'https://shop.example' })).status,
        200,
      );
      assert.equal(await signupSource('embedded@example.test'), blog, 'the page the snippet filled in');

      // A page of another site, or a page that does not match the browser's Origin, is not believed.
      await post('foreign@example.test', { page: 'https://evil.example/x' }, { origin: 'https://shop.example' });
      assert.equal(await signupSource('foreign@example.test'), 'https://shop.example/');
      await post('mismatch@example.test', { page: blog }, { origin: 'https://evil.example' });
      assert.equal(await signupSource('mismatch@example.test'), 'https://evil.example/');
      await post('script@example.test', { page: 'javascript:alert(1)' }, { origin: 'https://shop.example' });
      assert.equal(await signupSource('script@example.test'), 'https://shop.example/');
      // Without a browser's Origin nothing ties the claim to a page (a script could name any).
      await post('scripted@example.test', { page: blog });
      assert.equal(await signupSource('scripted@example.test'), `${server.url}/s/news`);

      // The snippet fills the field with one line of script, and names the list's language.
      // A list moved to a language without the shop's wording in it shows our plain default there.
      await run(['lists', 'update', 'news', '--language', 'fr']);
      const shown = JSON.parse(await run(['lists', 'show', 'news', '--json'])) as { consentText: { text: string } };
      assert.match(
        shown.consentText.text,
        /^Oui, je souhaite recevoir par e-mail les actualités et les offres de Shop News\./,
      );
      const snippet = await run(['lists', 'embed', 'news']);
      assert.match(snippet, /<form [^>]*lang="fr"/);
      assert.match(snippet, /<label for="lw-news-email">Adresse e-mail<\/label>/);
      assert.match(snippet, /<input type="hidden" name="page" id="lw-news-page">/);
      assert.match(snippet, /document\.getElementById\("lw-news-page"\)\.value = location\.href;/);
      await run(['lists', 'update', 'news', '--language', 'en']);
    });

    it('someone who left every list can join one again only through double opt-in; the suppression goes when they confirm', async () => {
      const email = 'back@example.test';
      await confirmedMember(email, ['news', 'deals']);
      const id = await subscriberId(email);
      const prefs = `${server.url}/p/${codec.sign('preferences', id, 0)}`;
      assert.equal((await postForm(prefs, { action: 'leave_all' })).status, 200);
      assert.equal(await suppression(email), 'unsubscribed_all');

      // The public form stores nothing and mails nothing for a suppressed address.
      await postForm(`${server.url}/s/news`, { email });
      assert.equal(await statusOf(email, 'news'), 'unsubscribed');

      const page = await request(prefs);
      assert.match(visibleText(page.text), /Shop News unsubscribed By joining again you agree: Yes, I want to receive/);
      const rejoined = await postForm(prefs, { action: 'rejoin', list: 'news', consent_version: '1' });
      assert.equal(rejoined.status, 200);
      assert.match(
        visibleText(rejoined.text),
        /Check your inbox: we sent a link to confirm that you want to receive Shop News again/,
      );
      assert.equal(await statusOf(email, 'news'), 'pending');
      assert.equal(await suppression(email), 'unsubscribed_all', 'still suppressed until they confirm');
      const mails = await waitForMails(instance.captureDir, email, 3);
      assert.equal((await request(confirmLink(mails[2]!), { method: 'POST' })).status, 200);
      assert.equal(await statusOf(email, 'news'), 'confirmed');
      assert.equal(await suppression(email), undefined);
      assert.equal(await statusOf(email, 'deals'), 'unsubscribed', 'only the list they joined again');

      // Only a list one left can be joined from here; a confirmed one is a 409 page, nothing changes.
      const again = await postForm(prefs, { action: 'rejoin', list: 'news' });
      assert.equal(again.status, 200, 'pressed again, the page just shows the state');
      assert.match(visibleText(again.text), /Shop News subscribed Leave Shop News/);
      assert.equal(await statusOf(email, 'news'), 'confirmed');
    });

    it('a rejoin is refused for an address that complained after leaving everything, and sends nothing', async () => {
      const email = 'complainer@example.test';
      await confirmedMember(email, ['deals']);
      const id = await subscriberId(email);
      const prefs = `${server.url}/p/${codec.sign('preferences', id, 0)}`;
      assert.equal((await postForm(prefs, { action: 'leave_all' })).status, 200);
      assert.equal(await suppression(email), 'unsubscribed_all');
      // A complaint about earlier mail arrives after they left: it replaces the weaker reason.
      await suppress(db.db, suppressionHash(email), 'complaint', Date.now());
      assert.equal(await suppression(email), 'complaint');
      assert.doesNotMatch(
        visibleText((await request(prefs)).text),
        /Join Deals again/,
        'no button that can only be refused',
      );
      const refused = await postForm(prefs, { action: 'rejoin', list: 'deals' });
      assert.match(visibleText(refused.text), /We cannot send mail to this address any more/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await waitForMails(instance.captureDir, email)).length, 1, 'only the first confirmation mail');
      assert.equal(await statusOf(email, 'deals'), 'unsubscribed');
    });

    it("serves the brand's logo from our origin as an image only, and refuses what is not an image", async () => {
      const logo = join(instance.dir, 'logo.png');
      writeFileSync(logo, solidPng(120, 40));
      const set = await run(['settings', 'set', 'brand.logo', logo, '--json']);
      const id = (JSON.parse(set) as { value: string }).value;
      assert.match(id, /^[0-9a-f]{32}\.png$/);
      const image = await request(`${server.url}/brand/${id}`);
      assert.equal(image.status, 200);
      assert.equal(image.headers.get('content-type'), 'image/png');
      assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
      assert.match(image.headers.get('content-security-policy') ?? '', /default-src 'none'; sandbox/);
      assert.match(image.headers.get('cache-control') ?? '', /immutable/);
      assert.equal((await request(`${server.url}/brand/${'0'.repeat(32)}.png`)).status, 404);
      assert.equal((await request(`${server.url}/brand/..%2f..%2fetc%2fpasswd`)).status, 404);

      const svg = join(instance.dir, 'logo.svg');
      writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      const refused = await cli(instance, ['settings', 'set', 'brand.logo', svg]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /SVG images are not accepted/);
      const typed = await cli(instance, ['settings', 'set', 'brand.accent', 'red']);
      assert.match(typed.stderr, /must be a colour like #1d4ed8/);
      const list = await cli(instance, ['lists', 'update', 'deals', '--brand-shop-url', 'javascript:alert(1)']);
      assert.match(list.stderr, /The shop URL must be an http:\/\/ or https:\/\/ address/);
    });
  });
}
