import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { postJson, request } from '../helpers/http.js';
import { cli, newInstance, startServer, type Instance, type RunningServer } from '../helpers/listwarden.js';

for (const dialect of DIALECTS) {
  describe(
    `settings in the database, shared by the CLI and the running server, on ${dialect.name}`,
    { skip: dialect.skip },
    () => {
      let fresh: TestDatabase;
      let instance: Instance;
      let server: RunningServer;
      let key = '';
      const auth = () => ({ authorization: `Bearer ${key}` });

      before(async () => {
        fresh = await dialect.fresh();
        instance = newInstance(fresh.url, { LISTWARDEN_VERIFY_DOMAINS: 'false' });
        assert.equal(
          (await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test'])).code,
          0,
        );
        key = (await cli(instance, ['apikeys', 'create', '--name', 'ops'])).stdout.trim();
        server = await startServer(instance);
      });

      after(async () => {
        await server?.stop();
        await fresh?.drop();
        instance?.cleanup();
      });

      it('a setting stored with the CLI is in effect on the running server within seconds, without a restart', async () => {
        const created = await postJson(
          `${server.url}/api/v1/campaigns`,
          { list: 'news', subject: 'Hi', html: '<p>Hi</p><a href="{{ unsubscribe_url }}">u</a>' },
          auth(),
        );
        assert.equal(created.status, 201, created.text);
        const id = created.json<{ id: number }>().id;
        const test = () => postJson(`${server.url}/api/v1/campaigns/${id}/test`, { to: 'qa@shop.test' }, auth());
        assert.equal((await test()).status, 403, 'qa@shop.test is not a test address yet');

        const set = await cli(instance, ['settings', 'set', 'test_addresses', 'qa@shop.test', '--json']);
        assert.equal(set.code, 0, set.stderr);
        assert.deepEqual(
          (({ key: k, value, source }) => ({ key: k, value, source }))(
            JSON.parse(set.stdout) as Record<string, unknown>,
          ),
          { key: 'test_addresses', value: 'qa@shop.test', source: 'database' },
        );
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          status = (await test()).status;
        }
        assert.equal(status, 200, 'the server picked the setting up');
        assert.match(server.logs(), /settings changed; now in effect/);
      });

      it('a rate set with the CLI counts on the running server at once (the signup limit per address)', async () => {
        assert.equal((await cli(instance, ['settings', 'set', 'signup_rate_limit', '3/minute'])).code, 0);
        for (
          let i = 0;
          i < 50 &&
          !/settings changed[^\n]*signup_rate_limit|signup_rate_limit[^\n]*settings changed/.test(server.logs());
          i++
        )
          await new Promise((resolve) => setTimeout(resolve, 200));
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: `p${i}@example.test` });
          statuses.push(r.status);
        }
        assert.deepEqual(statuses, [202, 202, 202, 429, 429], 'three a minute, not the default twenty');
        assert.equal((await cli(instance, ['settings', 'unset', 'signup_rate_limit'])).code, 0);
      });

      it('refuses a value the server would refuse, naming the setting, and keeps the old one', async () => {
        const bad = await cli(instance, ['settings', 'set', 'guard.complaint_rate', 'lots']);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /^listwarden: The setting guard\.complaint_rate /);
        assert.equal(bad.stderr.trim().split('\n').length, 1);
        const unknown = await cli(instance, ['settings', 'get', 'no.such']);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /There is no such setting/);
        const got = JSON.parse((await cli(instance, ['settings', 'get', 'guard.complaint_rate', '--json'])).stdout);
        assert.equal(got.source, 'default');
      });

      it('shows a setting the environment overrides as overridden, and records every change', async () => {
        assert.equal((await cli(instance, ['settings', 'set', 'postal_address', 'Shop BV, Stored Street 1'])).code, 0);
        const overridden = await cli(
          { ...instance, env: { ...instance.env, LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Env Street 2' } },
          ['settings', 'get', 'postal_address', '--json'],
        );
        const view = JSON.parse(overridden.stdout);
        assert.equal(view.value, 'Shop BV, Env Street 2');
        assert.equal(view.source, 'environment');
        assert.equal(view.overridden, true);
        assert.equal(view.stored, 'Shop BV, Stored Street 1');
        const listed = await cli(
          { ...instance, env: { ...instance.env, LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Env Street 2' } },
          ['settings', 'list'],
        );
        assert.match(
          listed.stdout,
          /postal_address\s+Shop BV, Env Street 2\s+environment\s+yes, by LISTWARDEN_POSTAL_ADDRESS/,
        );

        // The admin API is the same service.
        const put = await request(`${server.url}/api/v1/settings/postal_address`, {
          method: 'PUT',
          headers: { ...auth(), 'content-type': 'application/json' },
          body: JSON.stringify({ value: 'Shop BV, Api Street 3' }),
        });
        assert.equal(put.status, 200, put.text);
        const history = await request(`${server.url}/api/v1/settings/history`, { headers: auth() });
        const changes = history.json<{
          changes: Array<{ key: string; old: string | null; new: string | null; actor: string }>;
        }>().changes;
        const { at, ...latest } = changes[0] as (typeof changes)[number] & { at: string };
        assert.match(at, /^\d{4}-\d\d-\d\dT/);
        assert.deepEqual(latest, {
          key: 'postal_address',
          old: 'Shop BV, Stored Street 1',
          new: 'Shop BV, Api Street 3',
          actor: 'api key "ops"',
        });
        assert.ok(changes.some((c) => c.key === 'test_addresses' && /^cli/.test(c.actor) && c.old === null));
        const unset = await request(`${server.url}/api/v1/settings/postal_address`, {
          method: 'DELETE',
          headers: auth(),
        });
        assert.equal(unset.json<{ source: string }>().source, 'default');
      });
    },
  );
}
