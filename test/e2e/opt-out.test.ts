import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTokenCodec } from '../../src/consent/tokens.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postForm, request, visibleText } from '../helpers/http.js';
import {
  capturedMails,
  cli,
  newInstance,
  startServer,
  TEST_SECRET,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

const codec = createTokenCodec([TEST_SECRET]);

for (const dialect of DIALECTS) {
  describe(`opt-out and preference centre on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let db: Database;

    async function ids(email: string, list = 'news') {
      const s = await db.db
        .selectFrom('subscribers')
        .select('id')
        .where('email_key', '=', email)
        .executeTakeFirstOrThrow();
      const l = await db.db.selectFrom('lists').select('id').where('slug', '=', list).executeTakeFirstOrThrow();
      return { subscriberId: s.id, listId: l.id };
    }
    async function status(email: string, list = 'news') {
      const { subscriberId, listId } = await ids(email, list);
      const row = await db.db
        .selectFrom('subscriptions')
        .select('status')
        .where('subscriber_id', '=', subscriberId)
        .where('list_id', '=', listId)
        .executeTakeFirst();
      return row?.status;
    }
    async function unsubscribeToken(email: string, list = 'news') {
      const { subscriberId, listId } = await ids(email, list);
      return codec.sign('unsubscribe', subscriberId, listId);
    }
    async function preferencesToken(email: string, issuedAt = Date.now()) {
      const { subscriberId } = await ids(email);
      return codec.sign('preferences', subscriberId, 0, issuedAt);
    }

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
      for (const [slug, name] of [
        ['news', 'Shop News'],
        ['deals', 'Deals'],
      ]) {
        assert.equal(
          (
            await cli(instance, [
              'lists',
              'create',
              slug as string,
              '--name',
              name as string,
              '--from',
              `${slug}@shop.test`,
            ])
          ).code,
          0,
        );
      }
      const csv = join(instance.dir, 'confirmed.csv');
      writeFileSync(
        csv,
        [
          'email,confirmed_at,confirm_ip',
          ...['one', 'two', 'three', 'four', 'five'].map((n) => `${n}@example.test,2025-01-02T03:04:05Z,192.0.2.9`),
        ].join('\n') + '\n',
      );
      for (const list of ['news', 'deals']) {
        const imported = await cli(instance, [
          'import',
          csv,
          '--list',
          list,
          '--source',
          'test fixture with proof',
          '--with-proof',
        ]);
        assert.equal(imported.code, 0, imported.stderr);
      }
      server = await startServer(instance);
      db = openDatabase(fresh.url);
    });

    after(async () => {
      await server?.stop();
      await db?.close();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('GET shows a button and changes nothing', async () => {
      const page = await request(`${server.url}/u/${await unsubscribeToken('one@example.test')}`, {
        headers: { 'user-agent': 'LinkScanner' },
      });
      assert.equal(page.status, 200);
      assert.match(page.text, /<form method="post"/);
      assert.equal(await status('one@example.test'), 'confirmed');
    });

    it('a multipart one-click POST unsubscribes at once, 200, no redirect, no cookie', async () => {
      const form = new FormData();
      form.append('List-Unsubscribe', 'One-Click');
      const url = `${server.url}/u/${await unsubscribeToken('one@example.test')}`;
      const response = await request(url, {
        method: 'POST',
        body: form,
        headers: { 'user-agent': 'GoogleOneClick/1.0' },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('location'), null);
      assert.equal(response.headers.get('set-cookie'), null);
      assert.match(visibleText(response.text), /You are unsubscribed/);
      assert.equal(await status('one@example.test'), 'unsubscribed', 'in effect before the answer');
      assert.equal(await status('one@example.test', 'deals'), 'confirmed', 'other lists are untouched');
      assert.equal((await request(url, { method: 'POST', body: form })).status, 200, 'repeating is fine');
      const { subscriberId } = await ids('one@example.test');
      const events = await db.db
        .selectFrom('consent_events')
        .selectAll()
        .where('subscriber_id', '=', subscriberId)
        .where('type', '=', 'unsubscribed')
        .execute();
      assert.equal(events.length, 1);
      assert.equal(JSON.parse(events[0]!.detail ?? '{}').method, 'one-click');
      assert.equal(events[0]!.user_agent, 'GoogleOneClick/1.0');
    });

    it('accepts a urlencoded body, the page button, and a POST with no body at all', async () => {
      const a = await postForm(`${server.url}/u/${await unsubscribeToken('two@example.test')}`, {
        'List-Unsubscribe': 'One-Click',
      });
      assert.equal(a.status, 200);
      assert.equal(await status('two@example.test'), 'unsubscribed');
      const b = await postForm(`${server.url}/u/${await unsubscribeToken('three@example.test')}`, {
        'List-Unsubscribe': 'One-Click',
        via: 'page',
      });
      assert.equal(b.status, 200);
      const c = await request(`${server.url}/u/${await unsubscribeToken('four@example.test')}`, { method: 'POST' });
      assert.equal(c.status, 200);
      assert.equal(await status('three@example.test'), 'unsubscribed');
      assert.equal(await status('four@example.test'), 'unsubscribed');
    });

    it('refuses forged tokens and tokens of another purpose', async () => {
      assert.equal((await request(`${server.url}/u/${'B'.repeat(43)}`, { method: 'POST' })).status, 404);
      const { subscriberId, listId } = await ids('five@example.test');
      const confirmToken = codec.sign('confirm', subscriberId, listId);
      assert.equal((await request(`${server.url}/u/${confirmToken}`, { method: 'POST' })).status, 404);
      assert.equal(await status('five@example.test'), 'confirmed');
    });

    it('the preference centre leaves one list or all; export and erasure need a fresh link mailed to the address', async () => {
      // What a forwarded newsletter gives its reader: the unsubscribe link, and from it the preferences page.
      const fromOldLink = await request(`${server.url}/u/${await unsubscribeToken('five@example.test')}`);
      const prefsHref = /href="([^"]*\/p\/[A-Za-z0-9_-]{43})"/.exec(fromOldLink.text)?.[1];
      assert.ok(prefsHref, 'the unsubscribe page links to the preferences page');
      const url = prefsHref.replaceAll('&amp;', '&');
      const page = await request(url);
      assert.equal(page.status, 200);
      assert.match(visibleText(page.text), /Shop News subscribed Leave Shop News/);
      assert.match(visibleText(page.text), /Deals subscribed Leave Deals/);
      assert.doesNotMatch(page.text, /value="export"|value="erase"/, 'no export or erase on the preferences page');
      // The old actions are refused there: the page is no key to the person's data.
      for (const action of ['export', 'erase']) {
        const refused = await postForm(url, { action, confirm: 'yes' });
        assert.equal(refused.status, 400, action);
        assert.doesNotMatch(refused.text, /five@example\.test"|"subscriber"/);
      }

      assert.equal((await postForm(url, { action: 'leave', list: 'deals' })).status, 200);
      assert.equal(await status('five@example.test', 'deals'), 'unsubscribed');
      assert.equal(await status('five@example.test', 'news'), 'confirmed');

      // Asking for the data link mails it to the address (once per 10 minutes), nowhere else.
      const asked = await postForm(url, { action: 'data_link' });
      assert.equal(asked.status, 200);
      assert.match(visibleText(asked.text), /We sent a link to five@example\.test/);
      const again = await postForm(url, { action: 'data_link' });
      assert.equal(again.status, 200);
      assert.match(visibleText(again.text), /We did not send another link/);
      const [mail] = await waitForMails(instance.captureDir, 'five@example.test');
      assert.match(mail!.parsed.subject ?? '', /download or delete your data/i);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const links = (await capturedMails(instance.captureDir)).filter((m) =>
        /download or delete your data/i.test(m.parsed.subject ?? ''),
      );
      assert.equal(links.length, 1, 'one data link per 10 minutes');
      const dataLink = /https?:\/\/\S+\/d\/[A-Za-z0-9_-]{43}/.exec(mail!.parsed.text ?? '')?.[0];
      assert.ok(dataLink, 'the mail carries the data link');
      const dataPage = await request(dataLink);
      assert.equal(dataPage.status, 200);
      assert.equal(dataPage.headers.get('cache-control'), 'no-store');
      assert.equal(dataPage.headers.get('referrer-policy'), 'no-referrer');

      const exported = await postForm(dataLink, { action: 'export' });
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
      assert.equal(exported.json<{ subscriber: { email: string } }>().subscriber.email, 'five@example.test');

      assert.equal((await postForm(url, { action: 'leave_all' })).status, 200);
      assert.equal(await status('five@example.test', 'news'), 'unsubscribed');
      const suppressed = await db.db.selectFrom('suppressions').select('reason').execute();
      assert.ok(suppressed.some((r) => r.reason === 'unsubscribed_all'));

      // A preferences token is not a data token, and a data link expires after an hour.
      const { subscriberId } = await ids('five@example.test');
      assert.equal((await request(`${server.url}/d/${await preferencesToken('five@example.test')}`)).status, 404);
      const stale = codec.sign('data', subscriberId, 0, Date.now() - 61 * 60_000);
      assert.equal((await postForm(`${server.url}/d/${stale}`, { action: 'export' })).status, 410);

      assert.equal((await postForm(dataLink, { action: 'erase' })).status, 400, 'erasure needs the confirmation box');
      assert.equal((await postForm(dataLink, { action: 'erase', confirm: 'yes' })).status, 200);
      assert.equal(
        (await db.db.selectFrom('subscribers').select('id').where('email_key', '=', 'five@example.test').execute())
          .length,
        0,
      );
      assert.equal((await request(url)).status, 410, 'nothing left to show');
      assert.equal((await request(dataLink)).status, 410);
      // The data link (and the same page reached as /%64/<token>) never reaches the log.
      const dataToken = dataLink.slice(dataLink.lastIndexOf('/') + 1);
      await request(`${server.url}/%64/${dataToken}`);
      assert.ok(!server.logs().includes(dataToken), 'no data token in the log');
    });

    it('preference links expire; unsubscribe links do not', async () => {
      const old = await preferencesToken('two@example.test', Date.now() - 91 * 86_400_000);
      assert.equal((await request(`${server.url}/p/${old}`)).status, 410);
      const { subscriberId, listId } = await ids('two@example.test');
      const ancient = codec.sign('unsubscribe', subscriberId, listId, Date.UTC(2020, 0, 1));
      assert.equal((await request(`${server.url}/u/${ancient}`, { method: 'POST' })).status, 200);
      assert.equal(
        (await postForm(`${server.url}/p/${await preferencesToken('two@example.test')}`, { action: 'dance' })).status,
        400,
      );
    });
  });
}
