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
  type Instance,
  type RunningServer,
} from '../helpers/listwarden.js';

// An A/B subject test end to end through the real server: the sample split in two, people's
// clicks (not a scanner's) choose the winner after the wait, the rest get the winner, nobody twice.

const PEOPLE = 40;
const HTML =
  '<p>Hello {{ subscriber.name }}</p><p><a href="https://shop.test/sale">Sale</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

for (const dialect of DIALECTS) {
  describe(`an A/B subject test on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    const run = (args: string[]) => cliBeside(instance, server, args);
    const ok = (args: string[]) => cliOk(instance, args, server);
    const campaignMails = async () =>
      (await capturedMails(instance.captureDir)).filter((m) => /subject/.test(m.parsed.subject ?? ''));

    before(async () => {
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
      });
      await ok(['init']);
      await ok(['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
      const csv = join(instance.dir, 'people.csv');
      writeFileSync(
        csv,
        [
          'email,name,confirmed_at,confirm_ip',
          ...Array.from(
            { length: PEOPLE },
            (_, i) => `p${i + 1}@example.test,P${i + 1},2025-01-01T00:00:00Z,192.0.2.1`,
          ),
        ].join('\n'),
      );
      await ok(['import', csv, '--list', 'news', '--source', 'test fixture', '--with-proof']);
      writeFileSync(join(instance.dir, 'sale.html'), HTML);
      server = await startServer(instance);
    });
    after(async () => {
      await server?.stop();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('refuses a test it could not judge, and bad settings, with a sentence', async () => {
      const base = [
        'campaigns',
        'create',
        '--list',
        'news',
        '--subject',
        'x',
        '--html',
        join(instance.dir, 'sale.html'),
      ];
      const untracked = await run([...base, '--subject-b', 'y']);
      assert.equal(untracked.code, 1);
      assert.match(untracked.stderr, /turn on click tracking first \(listwarden lists update news --track-clicks\)/);
      await ok(['lists', 'update', 'news', '--track-clicks']);
      for (const [flags, message] of [
        [['--subject-b', 'y', '--ab-sample', '70'], /2 to 50/],
        [['--subject-b', 'y', '--ab-wait', 'soon'], /A\/B wait "soon"/],
        [['--ab-sample', '20'], /needs the second subject/],
        [['--subject-b', ''], /second subject must be 1-998 characters/],
        [['--subject-b', 'x'], /the same as the first/],
        [['--subject-b', 'y', '--ab-wait', '0m'], /from 5 seconds to 7 days/],
        [['--subject-b', 'y', '--ab-sample', '1e1'], /2 to 50/],
        [['--subject-b', '{% if %}'], /./],
      ] as const) {
        const r = await run([...base, ...flags]);
        assert.equal(r.code, 1, flags.join(' '));
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1);
      }
    });

    it('sends the sample both subjects, lets clicks pick the winner, and sends the rest the winner', async () => {
      const created = JSON.parse(
        await ok([
          'campaigns',
          'create',
          '--list',
          'news',
          '--subject',
          'A subject for {{ subscriber.name }}',
          '--subject-b',
          'B subject for {{ subscriber.name }}',
          '--ab-sample',
          '20',
          '--ab-wait',
          '10s',
          '--html',
          join(instance.dir, 'sale.html'),
          '--json',
        ]),
      );
      assert.deepEqual(created.ab, {
        subjectB: 'B subject for {{ subscriber.name }}',
        samplePercent: 20,
        waitMs: 10000,
      });
      await ok(['campaigns', 'send', String(created.id), '--force']);
      // The sample: subscribers 1-19 (id mod 100 below 20), even ids A, odd ids B.
      for (let i = 0; (await campaignMails()).length < 19 && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
      const sample = await campaignMails();
      assert.equal(sample.length, 19);
      for (const m of sample) {
        const n = Number(/^p(\d+)@/.exec(m.to)?.[1]);
        assert.ok(n < 20, `${m.to} is in the sample`);
        assert.equal(m.parsed.subject, `${n % 2 === 0 ? 'A' : 'B'} subject for P${n}`);
      }
      const during = JSON.parse(await ok(['campaigns', 'status', String(created.id), '--json']));
      assert.equal(during.status, 'running', 'not finished while the test waits');
      assert.equal(during.ab.decision, undefined);

      // People click B twice and A once (seconds after the sample is marked sent: sooner is a
      // scanner's speed); a scanner clicks A five times.
      for (let i = 0; i < 100; i++) {
        if (JSON.parse(await ok(['campaigns', 'status', String(created.id), '--json'])).sent >= 19) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 3500));
      const linkOf = (subject: string, skip = 0) =>
        /href="([^"]*\/t\/c\/[A-Za-z0-9_-]{43})"/.exec(
          String(sample.filter((m) => m.parsed.subject?.startsWith(subject))[skip]?.parsed.html),
        )?.[1] as string;
      for (const [link, agent] of [
        [linkOf('B', 0), BROWSER],
        [linkOf('B', 1), BROWSER],
        [linkOf('A', 0), BROWSER],
        ...Array.from({ length: 5 }, (_, i) => [
          linkOf('A', i + 1),
          'Mozilla/5.0 (compatible; Proofpoint URL Defense)',
        ]),
      ] as Array<[string, string]>) {
        assert.equal((await request(link, { redirect: 'manual', headers: { 'user-agent': agent } })).status, 302);
      }

      let view: any;
      for (let i = 0; i < 200; i++) {
        view = JSON.parse(await ok(['campaigns', 'status', String(created.id), '--json']));
        if (view.status === 'finished') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(view.status, 'finished');
      assert.equal(view.ab.decision.winner, 'b', JSON.stringify(view.ab.decision));
      assert.deepEqual(view.ab.decision.clicks, { a: 1, b: 2 });
      assert.equal(view.sent, PEOPLE);
      const all = await campaignMails();
      assert.equal(all.length, PEOPLE);
      assert.equal(new Set(all.map((m) => m.to)).size, PEOPLE, 'nobody got two');
      const rest = all.filter((m) => Number(/^p(\d+)@/.exec(m.to)?.[1]) >= 20);
      assert.equal(rest.length, PEOPLE - 19);
      assert.ok(
        rest.every((m) => m.parsed.subject?.startsWith('B subject for ')),
        'the rest got the winner',
      );
    });
  });
}
