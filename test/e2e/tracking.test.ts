import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { request } from '../helpers/http.js';
import {
  capturedMails,
  cliOk,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

// Engagement tracking through the real server: off unless a list turns it on; links become signed
// redirects to the campaign's own links (a tampered one is a 404, never a redirect); opens and
// clicks by machines are kept apart; the per-campaign link report.

const HTML =
  '<p>Hello {{ subscriber.name }}</p><p><a href="https://shop.test/sale?utm=mail&amp;x=1">Sale</a> and <a href="https://shop.test/boots">boots</a>, <a href="mailto:help@shop.test">help</a>, <a href="https://shop.test/account?u={{ subscriber.email | url_encode }}">your account</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

for (const dialect of DIALECTS) {
  describe(`engagement tracking on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let key = '';
    const ok = (args: string[]) => cliOk(instance, args, server);
    const api = (path: string, body?: unknown) =>
      request(`${server.url}/api/v1${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    async function send(list: string): Promise<number> {
      const created = await api('/campaigns', { list, subject: `News for ${list}`, html: HTML });
      assert.equal(created.status, 201, created.text);
      const id = created.json<{ id: number }>().id;
      const sent = await api(`/campaigns/${id}/send`, { force: true });
      assert.equal(sent.status, 200, sent.text);
      return id;
    }

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
      });
      await ok(['init']);
      await ok([
        'lists',
        'create',
        'news',
        '--name',
        'News',
        '--from',
        'news@shop.test',
        '--track-clicks',
        '--track-opens',
      ]);
      await ok(['lists', 'create', 'plain', '--name', 'Plain', '--from', 'plain@shop.test']);
      const csv = join(instance.dir, 'people.csv');
      writeFileSync(
        csv,
        'email,name,confirmed_at,confirm_ip\nann@example.test,Ann,2025-01-01T00:00:00Z,192.0.2.1\nbob@example.test,Bob,2025-01-01T00:00:00Z,192.0.2.2\n',
      );
      for (const list of ['news', 'plain'])
        await ok(['import', csv, '--list', list, '--source', 'test fixture', '--with-proof']);
      key = JSON.parse(await ok(['apikeys', 'create', '--name', 'tests', '--json'])).key;
      server = await startServer(instance);
    });
    after(async () => {
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('leaves mail of a list without tracking as it is', async () => {
      const shown = JSON.parse(await ok(['lists', 'show', 'plain', '--json']));
      assert.deepEqual(shown.tracking, { clicks: false, opens: false });
      await send('plain');
      const [mail] = (await waitForMails(instance.captureDir, 'ann@example.test')).filter(
        (m) => m.parsed.subject === 'News for plain',
      );
      assert.ok(mail);
      assert.match(String(mail.parsed.html), /href="https:\/\/shop\.test\/sale\?utm=mail&amp;x=1"/);
      assert.doesNotMatch(String(mail.parsed.html), /\/t\/[co]\//);
    });

    it('counts clicks through signed redirects, refuses tampered links, keeps machines apart', async () => {
      const id = await send('news');
      const mails = async () =>
        (await capturedMails(instance.captureDir)).filter((m) => m.parsed.subject === 'News for news');
      for (let i = 0; (await mails()).length < 2 && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
      const ann = (await mails()).find((m) => m.to === 'ann@example.test');
      assert.ok(ann);
      const html = String(ann.parsed.html);
      const tracked = [...html.matchAll(/href="([^"]*\/t\/c\/[A-Za-z0-9_-]{43})"/g)].map((m) => m[1] as string);
      assert.equal(tracked.length, 2, 'the two shop links');
      assert.ok(tracked.every((u) => u.startsWith(`${server.url}/t/c/`)));
      assert.match(html, /href="mailto:help@shop\.test"/, 'mailto is left alone');
      // A link that differs per reader is not tracked: no address is ever stored as a tracked link.
      assert.match(html, /href="https:\/\/shop\.test\/account\?u=ann%40example\.test"/);
      assert.match(html, new RegExp(`href="${server.url}/u/`), 'the opt-out link goes straight to us');
      assert.doesNotMatch(html, /shop\.test\/sale/, 'the target is not in the mail');
      const pixel = /<img src="([^"]*\/t\/o\/[A-Za-z0-9_-]{43})"/.exec(html)?.[1];
      assert.ok(pixel, 'an open pixel');
      assert.doesNotMatch(ann.parsed.text ?? '', /\/t\/o\//);

      // A scanner at delivery, and Apple's proxy: recorded as machines.
      const early = await request(tracked[0]!, {
        redirect: 'manual',
        headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' },
      });
      assert.equal(early.status, 302);
      assert.equal(early.headers.get('location'), 'https://shop.test/sale?utm=mail&x=1');
      assert.equal((await request(tracked[1]!, { method: 'HEAD', redirect: 'manual' })).status, 302);
      const opened = await request(pixel, { headers: { 'user-agent': 'Mozilla/5.0' } });
      assert.equal(opened.status, 200);
      assert.equal(opened.headers.get('content-type'), 'image/gif');
      // The reader, seconds after the mail is marked sent (sooner is a scanner's speed).
      for (let i = 0; i < 100; i++) {
        if ((await api(`/campaigns/${id}`)).json<{ sent: number }>().sent >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 3500));
      // The reader, later.
      const click = await request(tracked[1]!, { redirect: 'manual', headers: { 'user-agent': BROWSER } });
      assert.equal(click.status, 302);
      assert.equal(click.headers.get('location'), 'https://shop.test/boots');
      assert.equal((await request(pixel, { headers: { 'user-agent': BROWSER } })).status, 200);

      // Tampered, cut off, made up, or an open token at the click address: 404, no redirect, nothing recorded.
      const token = tracked[0]!.slice(-43);
      const flipped = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
      for (const bad of [
        `${server.url}/t/c/${flipped}`,
        `${server.url}/t/c/${token.slice(0, 40)}`,
        `${server.url}/t/c/${'A'.repeat(43)}`,
        `${server.url}/t/c/${pixel.slice(-43)}`,
        `${server.url}/t/c/${token}?to=https://evil.test/`,
      ]) {
        const r = await request(bad, { redirect: 'manual', headers: { 'user-agent': BROWSER } });
        if (bad.includes('?to=')) {
          assert.equal(r.headers.get('location'), 'https://shop.test/sale?utm=mail&x=1', 'the query names no target');
          continue;
        }
        assert.equal(r.status, 404, bad);
        assert.equal(r.headers.get('location'), null);
        assert.match(r.text, /This link is not valid/);
      }

      // Reloading the pixel or the link counts once (within ten minutes), however often.
      for (let i = 0; i < 3; i++) {
        assert.equal((await request(pixel, { headers: { 'user-agent': BROWSER } })).status, 200);
        const again = await request(tracked[1]!, { redirect: 'manual', headers: { 'user-agent': BROWSER } });
        assert.equal(again.status, 302);
      }
      const report = JSON.parse(await ok(['campaigns', 'links', String(id), '--json']));
      assert.deepEqual(report.opens, { people: 1, total: 1, machine: 1 });
      assert.deepEqual(report.clicks, { people: 1, total: 2, machine: 2 });
      assert.deepEqual(
        report.links.map((l: { url: string; people: number; clicks: number; machine: number }) => [
          l.url,
          l.people,
          l.clicks,
          l.machine,
        ]),
        [
          ['https://shop.test/sale?utm=mail&x=1', 1, 1, 1],
          ['https://shop.test/boots', 1, 1, 1],
        ],
      );
      const viaApi = await api(`/campaigns/${id}/links`);
      assert.equal(viaApi.status, 200);
      assert.deepEqual(viaApi.json<any>().clicks, report.clicks);
      assert.equal((await api('/campaigns/999999/links')).status, 404);

      // An erasure takes the person's opens and clicks with it.
      await ok(['subscribers', 'erase', 'ann@example.test', '--yes']);
      const after = JSON.parse(await ok(['campaigns', 'links', String(id), '--json']));
      assert.deepEqual(after.clicks, { people: 0, total: 0, machine: 0 });
      assert.deepEqual(after.opens, { people: 0, total: 0, machine: 0 });
    });
  });
}
