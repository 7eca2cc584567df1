import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postForm, postJson, request } from '../helpers/http.js';
import {
  capturedMails,
  cli,
  confirmLink,
  headerValue,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

for (const dialect of DIALECTS) {
  describe(`admin API, CORS, rate limits and bad input on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let key = '';
    const auth = () => ({ authorization: `Bearer ${key}` });

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_SIGNUP_RATE_LIMIT: '20/minute',
        LISTWARDEN_TEST_ADDRESSES: 'Proof@Shop.test, second@shop.test',
      });
      // The owner's layouts folder: one layout, and a link that points out of the folder at the secret.
      const layouts = join(instance.dir, 'layouts');
      mkdirSync(layouts);
      writeFileSync(
        join(layouts, 'shop.liquid'),
        '<div class="shop-frame">SHOP LAYOUT {% block content %}{% endblock %}</div>',
      );
      symlinkSync(join(instance.dir, 'data', 'secret'), join(layouts, 'leak.liquid'));
      instance.env.LISTWARDEN_LAYOUTS_DIR = layouts;
      const created = await cli(instance, ['apikeys', 'create', '--name', 'shop backend']);
      assert.equal(created.code, 0, created.stderr);
      key = created.stdout.trim();
      assert.match(created.stderr, /cannot be shown again/);
      server = await startServer(instance);
    });

    after(async () => {
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('answers 401 without a key and 403 with a wrong one', async () => {
      const none = await request(`${server.url}/api/v1/lists`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="listwarden"');
      assert.match(String(none.json().message), /API key/);
      const wrong = await request(`${server.url}/api/v1/lists`, {
        headers: { authorization: 'Bearer lw_wrongwrongwrongwrongwrongwrongwron' },
      });
      assert.equal(wrong.status, 403);
      const basic = await request(`${server.url}/api/v1/lists`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(basic.status, 401);
    });

    it('manages lists and subscribers through the admin API', async () => {
      const created = await postJson(
        `${server.url}/api/v1/lists`,
        { slug: 'news', name: 'News', from: 'News <news@shop.test>', allowedOrigins: ['https://shop.test'] },
        auth(),
      );
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json().slug, 'news');
      const duplicate = await postJson(
        `${server.url}/api/v1/lists`,
        { slug: 'news', name: 'News', from: 'news@shop.test' },
        auth(),
      );
      assert.equal(duplicate.status, 409);
      const unknownField = await postJson(
        `${server.url}/api/v1/lists`,
        { slug: 'x', name: 'X', from: 'x@shop.test', colour: 'red' },
        auth(),
      );
      assert.equal(unknownField.status, 400);
      assert.match(String(unknownField.json().message), /unknown fields: colour/);

      const added = await postJson(
        `${server.url}/api/v1/subscribers`,
        { email: 'api@example.test', list: 'news', ip: '203.0.113.50', sourceUrl: 'https://shop.test/checkout' },
        auth(),
      );
      assert.equal(added.status, 202);
      assert.deepEqual(added.json(), { status: 'pending', confirmationMail: 'queued' });
      await waitForMails(instance.captureDir, 'api@example.test');

      const shown = await request(`${server.url}/api/v1/subscribers/api@example.test`, { headers: auth() });
      assert.equal(shown.status, 200);
      const view = shown.json<{
        events: Array<{ type: string; ip: string; source: string; detail: Record<string, unknown> }>;
      }>();
      assert.equal(view.events[0]!.ip, '203.0.113.50');
      assert.equal(view.events[0]!.source, 'https://shop.test/checkout');
      assert.equal(view.events[0]!.detail.apiKey, 'shop backend');

      const page = await request(`${server.url}/api/v1/subscribers?list=news&status=pending&limit=10`, {
        headers: auth(),
      });
      assert.equal(page.status, 200);
      assert.deepEqual(
        page.json<{ subscribers: Array<{ email: string }> }>().subscribers.map((s) => s.email),
        ['api@example.test'],
      );
      const badQuery = await request(`${server.url}/api/v1/subscribers?limit=5000`, { headers: auth() });
      assert.equal(badQuery.status, 400);

      const exported = await request(`${server.url}/api/v1/subscribers/api@example.test/export`, { headers: auth() });
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
      const erased = await request(`${server.url}/api/v1/subscribers/api@example.test`, {
        method: 'DELETE',
        headers: auth(),
      });
      assert.deepEqual(erased.json(), { erased: true, suppressed: true });
      assert.equal(
        (await request(`${server.url}/api/v1/subscribers/api@example.test`, { headers: auth() })).status,
        404,
      );
    });

    it('refuses a From or Reply-To that does not round-trip (a hidden Bcc), with a 400 and a sentence', async () => {
      const injected = await postJson(
        `${server.url}/api/v1/lists`,
        { slug: 'bcc', name: 'Bcc', from: 'news@shop.test', replyTo: 'Support <help@shop.test> Bcc: v@evil.example' },
        auth(),
      );
      assert.equal(injected.status, 400, injected.text);
      assert.match(String(injected.json().message), /exactly one address/);
      const patched = await request(`${server.url}/api/v1/lists/news`, {
        method: 'PATCH',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'Shop <news@shop.test> Bcc: v@evil.example' }),
      });
      assert.equal(patched.status, 400, patched.text);
      const shown = await request(`${server.url}/api/v1/lists/news`, { headers: auth() });
      assert.doesNotMatch(shown.text, /evil/);
    });

    it('sends security headers, keeps token pages out of caches and referrers, and refuses API keys in URLs', async () => {
      const health = await request(`${server.url}/healthz`);
      assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(health.headers.get('content-security-policy'), "frame-ancestors 'none'");
      const tokenPage = await request(`${server.url}/u/${'A'.repeat(43)}`);
      assert.equal(tokenPage.headers.get('cache-control'), 'no-store');
      assert.equal(tokenPage.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(tokenPage.headers.get('content-security-policy'), "frame-ancestors 'none'");
      const encoded = await request(`${server.url}/%75/${'A'.repeat(43)}`);
      assert.equal(encoded.headers.get('cache-control'), 'no-store', 'the route decides, not the raw path');
      assert.equal(encoded.headers.get('referrer-policy'), 'no-referrer');
      const inUrl = await request(`${server.url}/api/v1/lists?api_key=${key}`);
      assert.equal(inUrl.status, 400, inUrl.text);
      assert.match(String(inUrl.json().message), /Authorization header, never in the URL/);
      const inPath = await request(`${server.url}/api/v1/lists/${key}`);
      assert.equal(inPath.status, 401);
      const otherName = await request(`${server.url}/api/v1/lists?q=${key}`);
      assert.equal(otherName.status, 401);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(!server.logs().includes(key), 'the key is not in the log');
    });

    it('answers a too long, badly encoded or unknown address in the house format, without echoing it', async () => {
      const long = await request(`${server.url}/u/${'probe'.repeat(80)}`);
      assert.equal(long.status, 414, long.text);
      assert.match(long.headers.get('content-type') ?? '', /text\/html/);
      assert.match(long.text, /The address of this page is too long/);
      assert.doesNotMatch(long.text, /probeprobe/);
      assert.equal(long.headers.get('x-content-type-options'), 'nosniff');
      const huge = await request(`${server.url}/u/${'probe'.repeat(4000)}`);
      assert.equal(huge.status, 431, huge.text);
      assert.deepEqual(huge.json(), {
        error: 'request_too_large',
        message: 'The address or headers of the request are too long.',
      });
      assert.equal(huge.headers.get('x-content-type-options'), 'nosniff');
      const badApi = await request(`${server.url}/api/v1/lists/%E0%A4%A-probe`, { headers: auth() });
      assert.equal(badApi.status, 400, badApi.text);
      assert.deepEqual(badApi.json(), { error: 'bad_request', message: 'The address of this page is not valid.' });
      const missing = await request(`${server.url}/nothing-here-probe<b>`);
      assert.equal(missing.status, 404);
      assert.doesNotMatch(missing.text, /probe/);
      const missingApi = await request(`${server.url}/api/v1/nothing-probe`, { headers: auth() });
      assert.deepEqual(missingApi.json(), { error: 'not_found', message: 'There is no such API route.' });
    });

    it('refuses a campaign template that would read a file of the server (the HMAC secret), with one sentence', async () => {
      for (const html of ["{% include 'data/secret' %}", "{% render '/etc/passwd' %}", "{% layout 'data/secret' %}"]) {
        const created = await postJson(
          `${server.url}/api/v1/campaigns`,
          { list: 'news', subject: 'Leak', html: `${html}<a href="{{ unsubscribe_url }}">u</a>` },
          auth(),
        );
        assert.equal(created.status, 400, created.text);
        // This server has a layouts folder: a path is refused as not a layout's plain name.
        assert.match(String(created.json().message), /plain quoted name/);
        assert.doesNotMatch(created.text, /[A-Za-z0-9+/]{40,}/, 'no secret in the answer');
      }
    });

    it("reads layouts only from the owner's layouts folder, by a plain name", async () => {
      const create = (html: string) =>
        postJson(
          `${server.url}/api/v1/campaigns`,
          { list: 'news', subject: 'Layout', html: `${html}<a href="{{ unsubscribe_url }}">u</a>` },
          auth(),
        );
      const good = await create('{% layout "shop" %}{% block content %}<p>Inside</p>{% endblock %}');
      assert.equal(good.status, 201, good.text);
      for (const [html, sentence] of [
        ["{% include '../data/secret' %}", /plain quoted name/],
        ['{% render "missing" %}', /the layouts folder has no missing\.liquid/],
        ['{% include secretName %}', /plain quoted name/],
        ['{% liquid\n include "/etc/passwd"\n %}', /plain quoted name/],
      ] as const) {
        const refused = await create(html);
        assert.equal(refused.status, 400, `${html}: ${refused.text}`);
        assert.match(String(refused.json().message), sentence);
      }
      // A name in the folder that is a link to a file outside it is read as nothing.
      const leak = await create('{% include "leak" %}');
      assert.equal(leak.status, 400, leak.text);
      assert.match(String(leak.json().message), /the layouts folder has no leak\.liquid/);
      const id = good.json<{ id: number }>().id;
      const sent = await postJson(`${server.url}/api/v1/campaigns/${id}/test`, { to: 'proof@shop.test' }, auth());
      assert.equal(sent.status, 200, sent.text);
      const [copy] = await waitForMails(instance.captureDir, 'proof@shop.test');
      assert.match(copy!.parsed.html || '', /SHOP LAYOUT/);
      assert.match(copy!.parsed.html || '', /Inside/);
    });

    it("sends test copies only to the owner's test addresses and the list's confirmed members", async () => {
      const created = await postJson(
        `${server.url}/api/v1/campaigns`,
        { list: 'news', subject: 'Try me', html: '<p>Hi</p><a href="{{ unsubscribe_url }}">u</a>' },
        auth(),
      );
      assert.equal(created.status, 201, created.text);
      const id = created.json<{ id: number }>().id;
      const test = (to: string) => postJson(`${server.url}/api/v1/campaigns/${id}/test`, { to }, auth());
      const outsider = await test('victim@elsewhere.test');
      assert.equal(outsider.status, 403, outsider.text);
      assert.match(
        String(outsider.json().message),
        /only to the owner's test addresses .* or to a confirmed member of "news"/,
      );
      assert.equal((await test('SECOND@shop.test')).status, 200);
      // A pending subscriber is not a member yet; once confirmed, a test copy may go to them.
      assert.equal(
        (
          await postJson(
            `${server.url}/api/v1/public/lists/news/subscribe`,
            { email: 'member@shop.test' },
            { origin: 'https://shop.test' },
          )
        ).status,
        202,
      );
      assert.equal((await test('member@shop.test')).status, 403);
      const [mail] = await waitForMails(instance.captureDir, 'member@shop.test');
      assert.equal((await postForm(confirmLink(mail!), {})).status, 200);
      assert.equal((await test('member@shop.test')).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const copies = (await capturedMails(instance.captureDir)).filter((m) => m.parsed.subject === '[TEST] Try me');
      assert.deepEqual(copies.map((m) => m.to.toLowerCase()).sort(), ['member@shop.test', 'second@shop.test']);
      // A member's copy carries their own working opt-out; a test address's copy says honestly that nothing changed.
      const optOut = (to: string) =>
        /<(https?:\/\/[^>]+\/u\/[A-Za-z0-9_-]{43})>/.exec(
          headerValue(
            copies.find((m) => m.to.toLowerCase() === to)!,
            'List-Unsubscribe',
          ),
        )?.[1] as string;
      const testPage = await postForm(optOut('second@shop.test'), { 'List-Unsubscribe': 'One-Click' });
      assert.match(testPage.text, /Nothing to unsubscribe/);
      const memberPage = await postForm(optOut('member@shop.test'), { 'List-Unsubscribe': 'One-Click' });
      assert.match(memberPage.text, /You are unsubscribed/);
      const member = await request(`${server.url}/api/v1/subscribers/member%40shop.test`, { headers: auth() });
      assert.equal(
        member.json<{ subscriptions: Array<{ status: string }> }>().subscriptions[0]?.status,
        'unsubscribed',
      );
      assert.ok(!(await capturedMails(instance.captureDir)).some((m) => /victim@elsewhere/.test(m.to)));
    });

    it("answers CORS only for the list's origins and refuses other sites", async () => {
      const url = `${server.url}/api/v1/public/lists/news/subscribe`;
      const preflight = (origin: string) =>
        request(url, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
      const allowed = await preflight('https://shop.test');
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://shop.test');
      const other = await preflight('https://evil.test');
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const fromShop = await postJson(url, { email: 'cors@example.test' }, { origin: 'https://shop.test' });
      assert.equal(fromShop.status, 202);
      assert.equal(fromShop.headers.get('access-control-allow-origin'), 'https://shop.test');
      const fromEvil = await postJson(url, { email: 'cors2@example.test' }, { origin: 'https://evil.test' });
      assert.equal(fromEvil.status, 403);
      assert.match(String(fromEvil.json().message), /not allowed/);
    });

    it('gives bad requests a 4xx with a sentence, never a 500', async () => {
      const url = `${server.url}/api/v1/public/lists/news/subscribe`;
      const cases: Array<[RequestInit, number, RegExp]> = [
        [{ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' }, 400, /not valid JSON/],
        [
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' },
          400,
          /must be a JSON object|must be an object/,
        ],
        [
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":42}' },
          400,
          /"email" must be a string/,
        ],
        [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'a@example.test', attributes: { 'bad key!': 1 } }),
          },
          400,
          /Attribute names/,
        ],
        [
          { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'email=a@example.test' },
          415,
          /application\/json/,
        ],
        [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'a@example.test', name: 'x'.repeat(70_000) }),
          },
          413,
          /too large/,
        ],
        [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'a@example.test', ip: '1.2.3.4' }),
          },
          401,
          /only be passed with an API key/,
        ],
      ];
      for (const [init, status, message] of cases) {
        const r = await request(url, init);
        assert.equal(r.status, status, `${String(init.body).slice(0, 40)} → ${r.text}`);
        assert.match(String(r.json().message), message);
      }
      const missingList = await postJson(`${server.url}/api/v1/public/lists/nope/subscribe`, {
        email: 'a@example.test',
      });
      assert.equal(missingList.status, 404);
      const notFoundPage = await request(`${server.url}/nowhere`);
      assert.equal(notFoundPage.status, 404);
      assert.match(notFoundPage.headers.get('content-type') ?? '', /text\/html/);
      const notFoundApi = await request(`${server.url}/api/v1/public/nowhere`);
      assert.equal(notFoundApi.status, 404);
      assert.equal(notFoundApi.json().error, 'not_found');
      const formForMissingList = await request(`${server.url}/s/nope`);
      assert.equal(formForMissingList.status, 404);
      assert.match(formForMissingList.text, /There is no such list\./);
      assert.doesNotMatch(formForMissingList.text, /nope/);
      assert.doesNotMatch(server.logs(), /"level":50/, 'nothing was logged as an internal error');
    });

    it('limits signups per IP with 429 and Retry-After', async () => {
      const url = `${server.url}/s/news`;
      const statuses: number[] = [];
      let limited;
      for (let i = 0; i < 22; i++) {
        const r = await postForm(url, { email: `rate${i}@example.test` });
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      // The JSON signups of the tests above came from this IP too: they share the bucket of 20.
      const first = statuses.indexOf(429);
      assert.ok(first > 0 && first <= 20, statuses.join(','));
      assert.deepEqual(statuses.slice(0, first), Array(first).fill(200));
      assert.deepEqual(statuses.slice(first), Array(22 - first).fill(429));
      assert.ok(limited);
      assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(limited.text, /Too many requests from your address/);
      // One bucket per IP across every signup route: the JSON route is limited too.
      const api = await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'x@example.test' });
      assert.equal(api.status, 429, api.text);
    });

    it('keeps health and shutdown simple', async () => {
      const health = await request(`${server.url}/healthz`);
      assert.deepEqual(health.json(), { status: 'ok', database: 'ok' });
      assert.equal(await server.stop(), 0);
      assert.doesNotMatch(server.logs(), new RegExp(key), 'the API key never reaches the logs');
    });
  });
}
