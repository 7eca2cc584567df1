import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, newInstance, startServer, waitForMails, type Instance } from '../helpers/listwarden.js';
import { postJson } from '../helpers/http.js';

// The database, its WAL and SHM, the secret and captured mail hold personal data or keys: 0600.
describe('files Listwarden creates are readable by the owner only', () => {
  let instance: Instance;

  before(() => {
    instance = newInstance('sqlite:set-below', { LISTWARDEN_VERIFY_DOMAINS: 'false' });
    // The database in the data folder and a generated secret, as a first run makes them.
    instance.env.LISTWARDEN_DATABASE_URL = `sqlite:${join(instance.dir, 'data', 'listwarden.db')}`;
    delete instance.env.LISTWARDEN_SECRET;
  });
  after(() => instance?.cleanup());

  it('creates the database, its WAL and SHM, the secret and captured mail with mode 0600', async () => {
    const init = await cli(instance, ['init']);
    assert.equal(init.code, 0, init.stderr);
    const created = await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test']);
    assert.equal(created.code, 0, created.stderr);
    const server = await startServer(instance);
    try {
      const signup = await postJson(`${server.url}/api/v1/public/lists/news/subscribe`, { email: 'ann@example.test' });
      assert.equal(signup.status, 202, signup.text);
      await waitForMails(instance.captureDir, 'ann@example.test', 1);
      const data = join(instance.dir, 'data');
      const files = [
        ...readdirSync(data).map((f) => join(data, f)),
        ...readdirSync(instance.captureDir).map((f) => join(instance.captureDir, f)),
      ].filter((f) => statSync(f).isFile());
      const names = files.map((f) => f.split('/').pop());
      for (const wanted of ['listwarden.db', 'listwarden.db-wal', 'listwarden.db-shm', 'secret']) {
        assert.ok(names.includes(wanted), `${wanted} exists (${names.join(', ')})`);
      }
      for (const file of files) {
        assert.equal((statSync(file).mode & 0o777).toString(8), '600', file);
      }
    } finally {
      await server.stop();
    }
  });
});
