import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccountsService } from '../../src/accounts/accounts.service.js';
import { DIALECTS } from '../helpers/databases.js';
import { servicesFor, type TestServices } from '../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`console accounts and sessions on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    let now = Date.UTC(2026, 10, 30, 9);
    const clock = { now: () => now };
    const accounts = () => createAccountsService({ database: t.services.database, secret: 's'.repeat(40), clock });
    before(async () => {
      t = await servicesFor(dialect);
    });
    after(() => t.cleanup());

    it('keeps a scrypt hash, never the password; refuses bad input with a sentence', async () => {
      const a = accounts();
      await a.createUser({ email: 'Owner@Shop.test', role: 'owner', password: 'a long owner password' });
      const row = await t.services.database.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.email, 'owner@shop.test');
      assert.match(row.password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      assert.doesNotMatch(row.password_hash, /owner password/);
      await assert.rejects(
        a.createUser({ email: 'x@shop.test', role: 'admin', password: 'a long password' }),
        /viewer, editor, owner/,
      );
      await assert.rejects(a.createUser({ email: 'x@shop.test', role: 'viewer', password: 'short' }), /at least 12/);
      await assert.rejects(
        a.createUser({ email: 'owner@shop.test', role: 'viewer', password: 'a long password' }),
        /already a user/,
      );
    });

    it('signs the form token of the login and setup forms, so a planted cookie and field do not pair', () => {
      const a = accounts();
      const token = a.newFormToken();
      assert.equal(a.formTokenValid(token), true);
      assert.equal(a.formTokenValid('a'.repeat(24) + '.' + 'b'.repeat(32)), false, 'made up');
      assert.equal(a.formTokenValid(`${token.split('.')[0]}.${'A'.repeat(32)}`), false, 'another signature');
      const other = createAccountsService({ database: t.services.database, secret: 'o'.repeat(40), clock });
      assert.equal(other.formTokenValid(token), false, 'another secret');
    });

    it('answers a wrong address and a wrong password alike, and locks after five failures', async () => {
      const a = accounts();
      await assert.rejects(
        a.login('nobody@shop.test', 'whatever password'),
        /email address or the password is not right/,
      );
      for (let i = 0; i < 5; i++)
        await assert.rejects(a.login('owner@shop.test', `wrong ${i}`), /email address or the password is not right/);
      await assert.rejects(a.login('owner@shop.test', 'a long owner password'), /locked for 15 more minutes/);
      // An address without an account locks the same way: the lockout does not tell who has one.
      for (let i = 0; i < 4; i++)
        await assert.rejects(a.login('ghost@shop.test', `wrong ${i}`), /email address or the password is not right/);
      await assert.rejects(a.login('ghost@shop.test', 'wrong 4'), /email address or the password is not right/);
      await assert.rejects(a.login('ghost@shop.test', 'anything'), /locked for 15 more minutes/);
      now += 15 * 60_000 + 1;
      const { token } = await a.login('owner@shop.test', 'a long owner password');
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      const stored = await t.services.database.db.selectFrom('sessions').select('token_hash').execute();
      assert.ok(!stored.some((s) => s.token_hash === token), 'only the hash of the token is kept');
    });

    it('ends a session after 12 idle hours or 7 days, and ties the CSRF token to the session', async () => {
      const a = accounts();
      const { token } = await a.login('owner@shop.test', 'a long owner password');
      const session = await a.session(token);
      assert.equal(session?.role, 'owner');
      assert.equal(a.csrfMatches(session!, session!.csrf), true);
      assert.equal(a.csrfMatches(session!, 'x'.repeat(session!.csrf.length)), false);
      const other = await a.session((await a.login('owner@shop.test', 'a long owner password')).token);
      assert.notEqual(other!.csrf, session!.csrf, 'another session, another token');
      now += 11 * 3_600_000;
      assert.ok(await a.session(token), 'still within 12 idle hours');
      now += 12 * 3_600_000 + 1;
      assert.equal(await a.session(token), undefined, 'idle too long');
      const { token: long } = await a.login('owner@shop.test', 'a long owner password');
      // Used every 11 hours, it lives seven days (15 × 11 h = 165 h), and not an hour past them.
      for (let i = 0; i < 15; i++) {
        now += 11 * 3_600_000;
        assert.ok(await a.session(long), `alive after ${(i + 1) * 11} hours`);
      }
      now += 4 * 3_600_000;
      assert.equal(await a.session(long), undefined, 'seven days at most');
      await a.logout(token);
    });

    it('gives a setup link only while there is no user, and it works once', async () => {
      const empty = await servicesFor(dialect);
      try {
        const a = createAccountsService({ database: empty.services.database, secret: 's'.repeat(40), clock });
        const token = await a.issueSetupToken();
        assert.ok(token);
        assert.equal(await a.setupTokenValid('x'.repeat(token.length)), false);
        const done = await a.completeSetup(token, { email: 'first@shop.test', password: 'the first owner pw' });
        assert.equal(done.user.role, 'owner');
        await assert.rejects(
          a.completeSetup(token, { email: 'second@shop.test', password: 'the second owner pw' }),
          /used or expired/,
        );
        assert.equal(await a.issueSetupToken(), undefined);
      } finally {
        await empty.cleanup();
      }
      assert.equal(await accounts().issueSetupToken(), undefined, 'users exist here');
    });
  });
}
