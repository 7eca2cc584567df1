import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { FORM, servicesFor, type TestServices } from '../helpers/services.js';

const LISTS = ['a', 'b', 'c', 'd', 'e'];

for (const dialect of DIALECTS) {
  describe(`confirmation mail limits across lists and addresses on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect, { LISTWARDEN_CONFIRM_PER_MAILBOX: '3', LISTWARDEN_CONFIRM_DOMAIN_PER_HOUR: '4' });
      for (const slug of LISTS)
        await t.services.lists.create({ slug, name: `List ${slug}`, from: `${slug}@shop.test` });
    });
    after(() => t.cleanup());

    /** The queued confirmation mails, with when each may go. */
    const queued = () =>
      t.services.database.db
        .selectFrom('outbox as o')
        .innerJoin('subscribers as s', 's.id', 'o.subscriber_id')
        .select(['s.email', 'o.next_attempt_at'])
        .where('o.kind', '=', 'confirmation')
        .execute();

    it('mails one inbox at most 3 times a day, however it is spelled and on however many lists', async () => {
      const spellings = [
        'victim@gmail.com',
        'victim+1@gmail.com',
        'Victim+news@gmail.com',
        'v.i.c.t.i.m@googlemail.com',
        'vic.tim+x@gmail.com',
      ];
      const decisions: string[] = [];
      for (const [i, email] of spellings.entries()) {
        for (const list of LISTS) {
          decisions.push(
            (await t.services.signup({ list, email }, { ...FORM, ip: `198.51.100.${i + 1}` })).confirmationMail,
          );
        }
      }
      assert.equal(decisions.filter((d) => d === 'queued').length, 3, decisions.join(' '));
      assert.ok(decisions.includes('mailbox_limit'));
      assert.equal((await queued()).length, 3);
      // Every signup still answered the same way and kept its evidence; only the mail was held back.
      assert.equal((await t.services.subscribers.show('victim+1@gmail.com')).subscriptions.length, 5);
    });

    it('delays, never drops, confirmation mail past the hourly ceiling of one recipient domain', async () => {
      const HOUR = 3_600_000;
      const before = Date.now();
      for (let i = 0; i < 6; i++) {
        const result = await t.services.signup({ list: 'a', email: `person${i}@small-company.test` }, FORM);
        assert.equal(result.confirmationMail, 'queued');
      }
      const after = Date.now();
      const rows = (await queued()).filter((r) => r.email.endsWith('@small-company.test'));
      assert.equal(rows.length, 6, 'every mail is queued, none dropped');
      // No clock hour ever holds more than the ceiling (4 here).
      const perHour = new Map<number, number>();
      for (const r of rows) {
        const hour = Math.floor(Math.max(r.next_attempt_at, before) / HOUR);
        perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
      }
      assert.ok(Math.max(...perHour.values()) <= 4, JSON.stringify([...perHour]));
      // Signed up within one clock hour (the usual case): four go at once, two wait for the next hour.
      if (Math.floor(before / HOUR) === Math.floor(after / HOUR)) {
        const nextHour = (Math.floor(before / HOUR) + 1) * HOUR;
        // (Compared with the hour boundary, not with "a minute from now": near the end of an hour the
        // next hour starts within that minute.)
        assert.equal(rows.filter((r) => r.next_attempt_at < nextHour).length, 4, 'four go at once');
        assert.equal(rows.filter((r) => r.next_attempt_at >= nextHour).length, 2, 'two wait for the next hour');
      }
      // Other domains are not held up.
      assert.equal(
        (await t.services.signup({ list: 'a', email: 'other@example.test' }, FORM)).confirmationMail,
        'queued',
      );
    });

    it('keeps no address in its limit records', async () => {
      const db = t.services.database.db;
      const rows = [
        ...(await db.selectFrom('confirmation_mailboxes').selectAll().execute()),
        ...(await db.selectFrom('confirmation_domains').selectAll().execute()),
      ];
      assert.ok(rows.length > 0);
      assert.doesNotMatch(JSON.stringify(rows), /victim|person\d/);
    });
  });
}
