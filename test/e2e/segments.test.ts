import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { request } from '../helpers/http.js';
import {
  capturedMails,
  cliBeside,
  cliOk,
  newInstance,
  startServer,
  waitForMails,
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

// Attributes typed per list, segments and campaigns to a segment less other lists, through the
// real CLI and the real server's API, on both dialects.

const HTML =
  '<html><body><p>Hello {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>';
const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  describe(`segments and attributes end to end on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let key = '';
    // Once the server runs, the CLI's opt-out self-test reaches it at its address.
    const run = (args: string[]) => cliBeside(instance, server, args);
    const ok = (args: string[]) => cliOk(instance, args, server);
    const api = (path: string, method = 'GET', body?: unknown) =>
      request(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Keizersgracht 1, 1015 CJ Amsterdam',
      });
      await ok(['init']);
      for (const slug of ['news', 'vip'])
        await ok(['lists', 'create', slug, '--name', `Shop ${slug}`, '--from', `Shop <${slug}@shop.test>`]);
      for (const [name, type] of [
        ['country', 'string'],
        ['last_order_at', 'date'],
        ['spend', 'number'],
        ['tags', 'list'],
        ['newsletter_fan', 'boolean'],
      ] as const)
        await ok(['attributes', 'define', name, '--list', 'news', '--type', type]);
      const csv = join(instance.dir, 'people.csv');
      writeFileSync(
        csv,
        [
          'email,name,country,last_order_at,spend,tags,newsletter_fan,confirmed_at,confirm_ip',
          `ann@example.test,Ann,NL,${daysAgo(10)},120.5,"vip,sale",yes,2025-01-01T00:00:00Z,192.0.2.1`,
          `bob@example.test,Bob,NL,${daysAgo(20)},80,sale,no,2025-01-01T00:00:00Z,192.0.2.2`,
          `cor@example.test,Cor,NL,${daysAgo(200)},15,,,2025-01-01T00:00:00Z,192.0.2.3`,
          `dirk@example.test,Dirk,BE,${daysAgo(5)},300,,,2025-01-01T00:00:00Z,192.0.2.4`,
          `eva@example.test,Eva,NL,${daysAgo(1)},lots,,,2025-01-01T00:00:00Z,192.0.2.5`,
          `fay@example.test,Fay,NL,${daysAgo(3)},10,,maybe,2025-01-01T00:00:00Z,192.0.2.6`,
        ].join('\n'),
      );
      const imported = await run([
        'import',
        csv,
        '--list',
        'news',
        '--source',
        'test fixture',
        '--with-proof',
        '--json',
      ]);
      assert.equal(imported.code, 0, imported.stderr);
      // Cells that do not fit the declared type are skipped with their line and a sentence.
      assert.match(imported.stderr, /line 6: spend is a number; "lots" is not \(skipped\)/);
      assert.match(imported.stderr, /line 7: newsletter_fan is true or false; "maybe" is neither \(skipped\)/);
      assert.equal(JSON.parse(imported.stdout).imported, 4);
      // Bob is also on the vip list.
      const vip = join(instance.dir, 'vip.csv');
      writeFileSync(vip, 'email,confirmed_at,confirm_ip\nbob@example.test,2025-01-01T00:00:00Z,192.0.2.2\n');
      await ok(['import', vip, '--list', 'vip', '--source', 'test fixture', '--with-proof']);
      key = JSON.parse(await ok(['apikeys', 'create', '--name', 'tests', '--json'])).key;
      server = await startServer(instance);
    });

    after(async () => {
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('stores imported attributes as their declared types, and updates one or many', async () => {
      const ann = JSON.parse(await ok(['subscribers', 'show', 'ann@example.test', '--json']));
      assert.deepEqual(ann.attributes, {
        country: 'NL',
        last_order_at: new Date(`${daysAgo(10)}T00:00:00Z`).toISOString(),
        spend: 120.5,
        tags: ['vip', 'sale'],
        newsletter_fan: true,
      });
      const updated = JSON.parse(
        await ok([
          'subscribers',
          'update',
          'cor@example.test',
          '--attr',
          'spend=42',
          '--attr',
          'tags=b2b, vip',
          '--json',
        ]),
      );
      assert.equal(updated.attributes.spend, 42);
      assert.deepEqual(updated.attributes.tags, ['b2b', 'vip']);
      for (const [attr, message] of [
        ['__proto__=1', /"__proto__" cannot be an attribute's name/],
        ['spend=0x10', /spend is a number; "0x10" is not/],
      ] as const) {
        const r = await run(['subscribers', 'update', 'cor@example.test', '--attr', attr]);
        assert.equal(r.code, 1, attr);
        assert.match(r.stderr, message);
      }
      const notAFile = await run(['subscribers', 'update', '--file', instance.dir]);
      assert.equal(notAFile.code, 1);
      assert.match(notAFile.stderr, /Cannot read .*: it is not a file\./);
      const refused = await run(['subscribers', 'update', 'cor@example.test', '--attr', 'last_order_at=yesterday']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /last_order_at is a date like 2025-03-31/);
      assert.equal(refused.stderr.trim().split('\n').length, 1);

      const bulk = join(instance.dir, 'attrs.csv');
      writeFileSync(
        bulk,
        'email,spend,city\nbob@example.test,95,Gouda\nnobody@example.test,1,X\ndirk@example.test,many,Gent\nann@example.test,,Delft\n',
      );
      const report = await run(['subscribers', 'update', '--file', bulk, '--json']);
      assert.equal(report.code, 0, report.stderr);
      assert.deepEqual(JSON.parse(report.stdout), { rows: 4, updated: 2, unknown: 1, invalid: 1 });
      assert.match(report.stderr, /line 3: there is no subscriber nobody@example\.test/);
      assert.match(report.stderr, /line 4: spend is a number; "many" is not/);
      const annAfter = JSON.parse(await ok(['subscribers', 'show', 'ann@example.test', '--json']));
      assert.equal(annAfter.attributes.spend, 120.5, 'an empty cell leaves the value');
      assert.equal(annAfter.attributes.city, 'Delft');

      // The API takes JSON values; null removes one.
      const patched = await api('/subscribers/dirk@example.test', 'PATCH', {
        attributes: { spend: 310, city: null, vip_since: '2025' },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json<any>().attributes.spend, 310);
      assert.equal(patched.json<any>().attributes.city, undefined);
      const bad = await api('/subscribers/dirk@example.test', 'PATCH', { attributes: { spend: 'a lot' } });
      assert.equal(bad.status, 400);
      assert.match(bad.json<any>().error.message ?? bad.text, /spend is a number/);
    });

    it('saves segments, counts them live and refuses bad filters with the position', async () => {
      await ok(['segments', 'create', 'nl', '--list', 'news', '--where', 'country = "NL"']);
      assert.equal((await ok(['segments', 'count', 'nl'])).trim(), '3'); // ann, bob, cor (eva and fay were skipped)
      const recent = await api('/segments', 'POST', {
        name: 'recent-nl',
        list: 'news',
        where: 'country = "NL" and last_order_at > now - 90d and not tags contains "vip"',
      });
      assert.equal(recent.status, 201, recent.text);
      const count = await api('/segments/recent-nl/count');
      assert.equal(count.json<any>().count, 1); // bob: ann is vip-tagged, cor ordered 200 days ago

      const bad = await run([
        'segments',
        'create',
        'bad',
        '--list',
        'news',
        '--where',
        'country = "NL" and spend > "ten"',
      ]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /spend is a number, not a text at position 28/);
      const badApi = await api('/segments', 'POST', { name: 'bad', list: 'news', where: 'country = ; drop table x' });
      assert.equal(badApi.status, 400);
      assert.match(badApi.text, /at position 11/);
      assert.doesNotMatch(badApi.text, /SQL|sqlite|syntax error at or near/i);
      const list = JSON.parse(await ok(['segments', 'list', '--json']));
      assert.deepEqual(
        list.map((s: { name: string }) => s.name),
        ['nl', 'recent-nl'],
      );
    });

    it('sends a campaign to a segment less another list, and keeps its filter once started', async () => {
      const html = join(instance.dir, 'sale.html');
      writeFileSync(html, HTML);
      const created = JSON.parse(
        await ok([
          'campaigns',
          'create',
          '--segment',
          'nl',
          '--exclude-list',
          'vip',
          '--subject',
          'Sale',
          '--html',
          html,
          '--json',
        ]),
      );
      assert.equal(created.list, 'news');
      assert.deepEqual(created.audience, { segment: 'nl', where: 'country = "NL"', excludeLists: ['vip'] });
      // A segment a campaign goes to is not deleted under it.
      const busy = await run(['segments', 'delete', 'nl']);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`audience of campaign ${created.id}`));

      const sent = await api(`/campaigns/${created.id}/send`, 'POST', { force: true });
      assert.equal(sent.status, 200, sent.text);
      await waitForMails(instance.captureDir, 'ann@example.test');
      await waitForMails(instance.captureDir, 'cor@example.test');
      // Editing the segment now changes nothing for this campaign.
      await ok(['segments', 'update', 'nl', '--where', 'country = "BE"']);
      for (let i = 0; i < 100; i++) {
        if ((await api(`/campaigns/${created.id}`)).json<any>().status === 'finished') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const status = (await api(`/campaigns/${created.id}`)).json<any>();
      assert.equal(status.status, 'finished');
      assert.equal(status.sent, 2);
      assert.equal(status.audience.where, 'country = "NL"');
      const to = (await capturedMails(instance.captureDir)).map((m) => m.to).sort();
      assert.deepEqual(to, ['ann@example.test', 'cor@example.test'], 'bob is on vip, dirk is in BE');

      // Sent from the CLI (the fan-out awaited), with the segment's new filter.
      const second = JSON.parse(
        await ok(['campaigns', 'create', '--segment', 'nl', '--subject', 'Hi', '--html', html, '--json']),
      );
      const queued = await run(['campaigns', 'send', String(second.id), '--force', '--json']);
      assert.equal(queued.code, 0, queued.stderr);
      await waitForMails(instance.captureDir, 'dirk@example.test');
      assert.equal(
        (await capturedMails(instance.captureDir)).filter((m) => m.parsed.subject === 'Hi').length,
        1,
        'only dirk is in BE',
      );
      // A segment nobody meets is refused at send with a sentence.
      await ok(['segments', 'create', 'nobody', '--list', 'news', '--where', 'country = "FR"']);
      const third = JSON.parse(
        await ok(['campaigns', 'create', '--segment', 'nobody', '--subject', 'Hi', '--html', html, '--json']),
      );
      const refused = await run(['campaigns', 'send', String(third.id), '--force']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /Nobody on the list "news" is in the campaign's audience \(segment nobody/);
      const mismatch = await run([
        'campaigns',
        'create',
        '--segment',
        'nl',
        '--list',
        'vip',
        '--subject',
        'x',
        '--html',
        html,
      ]);
      assert.equal(mismatch.code, 1);
      assert.match(mismatch.stderr, /The segment nl is on the list news, not vip/);
    });
  });
}
