import { PLAIN_LOOK } from '../../src/campaigns/newsletter-layout.js';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApproval } from '../../src/campaigns/approval.js';
import { findCampaign, moveCampaign, storeSnapshot } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { createDkimKeysService } from '../../src/dkim/dkim-keys.service.js';
import { DIALECTS } from '../helpers/databases.js';
import { capturedMails } from '../helpers/listwarden.js';
import { confirmedSignups, servicesFor, type TestServices } from '../helpers/services.js';

const HTML = '<p>Hi {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>';

for (const dialect of DIALECTS) {
  describe(`DKIM keys kept by Listwarden on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect, { LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam' });
    });
    after(() => t.cleanup());

    it('generates a key, keeps it sealed, and prints the record that verifies its signatures', async () => {
      const s = t.services;
      const view = await s.dkim.generate({ domain: 'Shop.Test', selector: 's1' });
      assert.deepEqual([view.domain, view.selector, view.algorithm, view.status], ['shop.test', 's1', 'rsa', 'active']);
      assert.equal(view.record.name, 's1._domainkey.shop.test');
      assert.match(
        view.record.zone,
        /^s1\._domainkey\.shop\.test\. IN TXT \( "v=DKIM1; k=rsa; p=[^"]{200,}" "[^"]+" \)$/,
      );
      const row = await s.database.db.selectFrom('dkim_keys').selectAll().executeTakeFirstOrThrow();
      assert.doesNotMatch(row.private_key, /BEGIN|PRIVATE/);
      // The signing key is the one the record publishes.
      const [key] = await s.dkim.signingKeysFor('shop.test');
      const signature = (await import('node:crypto')).sign('sha256', Buffer.from('x'), key!.key);
      const published = createPublicKey({
        key: Buffer.from(view.record.value.replace(/^.*p=/, ''), 'base64'),
        format: 'der',
        type: 'spki',
      });
      assert.ok(verify('sha256', Buffer.from('x'), published, signature));
      // A process with another secret cannot open it, and says so.
      const other = createDkimKeysService({ database: s.database, secrets: ['x'.repeat(40)] });
      assert.equal((await other.list())[0]?.usable, false);
      assert.deepEqual(await other.signingKeysFor('shop.test'), []);
      // Moved to another name in the database, the sealed key no longer opens (it is bound to its name).
      await s.database.db.updateTable('dkim_keys').set({ selector: 'moved' }).where('id', '=', row.id).execute();
      const fresh = createDkimKeysService({ database: s.database, secrets: [(s.config.secret as string) ?? ''] });
      assert.equal((await fresh.list())[0]?.usable, false);
      await s.database.db.updateTable('dkim_keys').set({ selector: 's1' }).where('id', '=', row.id).execute();
    });

    it('refuses what is not a key or not a name, and never overwrites a record', async () => {
      const s = t.services;
      await assert.rejects(
        s.dkim.generate({ domain: 'shop.test', selector: 's1' }),
        /already a key for s1\._domainkey/,
      );
      await assert.rejects(s.dkim.generate({ domain: 'not a domain' }), /is not a domain name/);
      await assert.rejects(s.dkim.generate({ domain: 'shop.test', selector: '../x' }), /is not a DKIM selector/);
      await assert.rejects(
        s.dkim.importKey({ domain: 'shop.test', selector: 'x', pem: 'hello' }),
        /not a PEM private key/,
      );
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
      await assert.rejects(s.dkim.importKey({ domain: 'shop.test', selector: 'x', pem: ec }), /RSA or Ed25519/);
    });

    it('rotates: the next key waits as pending, activation retires the old one, which stays listed', async () => {
      const s = t.services;
      const next = await s.dkim.generate({ domain: 'shop.test', selector: 's2' });
      assert.equal(next.status, 'pending');
      const ed = await s.dkim.generate({ domain: 'shop.test', selector: 'e1', ed25519: true });
      assert.equal(ed.status, 'active', 'the first Ed25519 key signs beside the RSA key');
      assert.match(ed.record.value, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
      assert.deepEqual(
        (await s.dkim.signingKeysFor('shop.test')).map((k) => k.selector),
        ['s1', 'e1'],
      );
      await s.dkim.activate('shop.test', 's2');
      const statuses = Object.fromEntries((await s.dkim.list()).map((k) => [k.selector, k.status]));
      assert.deepEqual(statuses, { s1: 'retired', s2: 'active', e1: 'active' });
      await assert.rejects(s.dkim.remove('shop.test', 's2'), /is the active key/);
      await s.dkim.remove('shop.test', 's1');
      await s.dkim.remove('shop.test', 'e1', { force: true });
      assert.deepEqual(
        (await s.dkim.list()).map((k) => k.selector),
        ['s2'],
      );
    });

    it('takes the key files of the environment (the older way) into the store once', async () => {
      const s = t.services;
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      const file = join(t.captureDir, '..', 'env.pem');
      writeFileSync(file, pem);
      const env = {
        LISTWARDEN_DKIM_DOMAIN: 'env.test',
        LISTWARDEN_DKIM_SELECTOR: 'old',
        LISTWARDEN_DKIM_KEY_FILE: file,
        LISTWARDEN_DATABASE_URL: s.config.databaseUrl,
      };
      const again = await servicesFor(
        { name: dialect.name, skip: false, fresh: async () => ({ url: s.config.databaseUrl, drop: async () => {} }) },
        env,
      );
      try {
        await again.services.close();
        const second = await servicesFor(
          { name: dialect.name, skip: false, fresh: async () => ({ url: s.config.databaseUrl, drop: async () => {} }) },
          env,
        );
        await second.cleanup();
      } finally {
        await again.cleanup().catch(() => {});
      }
      const adopted = (await s.dkim.list()).filter((k) => k.domain === 'env.test');
      assert.deepEqual(
        adopted.map((k) => [k.selector, k.status]),
        [['old', 'active']],
        'once, active',
      );
      writeFileSync(
        file,
        generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      await assert.rejects(
        servicesFor(
          { name: dialect.name, skip: false, fresh: async () => ({ url: s.config.databaseUrl, drop: async () => {} }) },
          env,
        ),
        /differs from the key stored under that name/,
      );
    });

    it('holds a running campaign whose approved key was removed, and sends signed once it is back', async () => {
      const s = t.services;
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      await s.dkim.importKey({ domain: 'held.test', selector: 'k1', pem });
      const list = await s.lists.create({ slug: 'held', name: 'Held', from: 'news@held.test' });
      await confirmedSignups(s, list, [{ email: 'hanna@example.test', name: 'Hanna' }]);
      await s.worker.drain();
      const { id } = await s.campaigns.create({ list: 'held', subject: 'Held sale', html: HTML });
      const approval = createApproval({
        keys: s.dkim,
        settings: () => ({
          postalAddress: 'Shop BV',
          publicUrl: s.config.publicUrl,
          bounceDomain: undefined,
          layoutsDir: undefined,
        }),
        look: async () => PLAIN_LOOK,
      });
      const campaign = (await findCampaign(s.database.db, id))!;
      const listRow = await s.lists.requireListById(list.id);
      const { snapshot } = await approval.snapshotNow(campaign, listRow, Date.now());
      assert.deepEqual(
        snapshot.dkim.map((k) => k.selector),
        ['k1'],
      );
      assert.ok(await storeSnapshot(s.database.db, id, JSON.stringify(snapshot), Date.now()));
      assert.ok(await moveCampaign(s.database.db, id, ['draft'], 'running', Date.now()));
      await fanOut(s.database, { id, list_id: list.id }, 'held.test');
      await s.dkim.remove('held.test', 'k1', { force: true });
      await s.worker.drain();
      const held = await s.campaigns.status(id);
      assert.equal(held.status, 'paused');
      assert.equal(held.held, 1);
      assert.equal(held.sent, 0);
      assert.match(
        held.stopReason ?? '',
        /^Held: the DKIM key k1\._domainkey\.held\.test it was approved with has been removed/,
      );
      // The same key back under its name: resumed, the mail goes out signed with it.
      await s.dkim.importKey({ domain: 'held.test', selector: 'k1', pem });
      await s.campaigns.resume(id);
      await s.worker.drain();
      assert.equal((await s.campaigns.status(id)).sent, 1);
      const mail = (await capturedMails(t.captureDir)).find((m) => m.parsed.subject === 'Held sale');
      assert.match(mail?.raw ?? '', /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=held\.test; s=k1;/m);
    });
  });
}
