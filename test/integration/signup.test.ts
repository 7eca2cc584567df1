import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { capturedMails } from '../helpers/listwarden.js';
import { FORM, servicesFor, type TestServices } from '../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`signup and confirmation on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await servicesFor(dialect);
      await t.services.lists.create({
        slug: 'news',
        name: 'Shop News',
        from: 'Shop News <news@shop.test>',
        consentText: 'Yes, mail me the offers of Shop News.',
      });
    });
    after(() => t.cleanup());

    it('records a pending subscription, the signup evidence and one queued confirmation mail', async () => {
      const s = t.services;
      const result = await s.signup({ list: 'news', email: ' Ann@Example.TEST ', name: 'Ann' }, FORM);
      assert.equal(result.status, 'pending');
      assert.equal(result.confirmationMail, 'queued');
      const view = await s.subscribers.show('ann@example.test');
      assert.equal(view.email, 'Ann@example.test');
      assert.deepEqual(
        view.subscriptions.map((x) => [x.list, x.status]),
        [['news', 'pending']],
      );
      assert.equal(view.events.length, 1);
      const signup = view.events[0]!;
      assert.equal(signup.type, 'signup');
      assert.equal(signup.ip, FORM.ip);
      assert.equal(signup.userAgent, FORM.userAgent);
      assert.equal(signup.source, FORM.source);
      assert.equal(signup.consentVersion, 1);
      assert.equal(signup.consentText, 'Yes, mail me the offers of Shop News.');
      assert.equal(signup.detail.confirmationMail, 'queued');
    });

    it('sends the confirmation through the worker and records confirmation_sent', async () => {
      const s = t.services;
      assert.equal(await s.worker.drain(), 1);
      const mails = await capturedMails(t.captureDir);
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.to, 'Ann@example.test');
      assert.match(
        mails[0]!.returnPath,
        /^bounces\+[a-z2-7]{26}@shop\.test$/,
        'a VERP return path names the outbox row',
      );
      assert.match(mails[0]!.parsed.text ?? '', /https:\/\/mail\.shop\.test\/c\/[A-Za-z0-9_-]{43}/);
      assert.ok(mails[0]!.parsed.html, 'has an HTML part');
      const events = (await s.subscribers.show('ann@example.test')).events.map((e) => e.type);
      assert.deepEqual(events, ['signup', 'confirmation_sent']);
    });

    it('puts no unconfirmed free text (the name typed into the form) into the confirmation mail', async () => {
      const s = t.services;
      await s.signup(
        { list: 'news', email: 'bomb@example.test', name: 'Cheap pills at https://evil.example now' },
        FORM,
      );
      assert.equal(await s.worker.drain(), 1);
      const mail = (await capturedMails(t.captureDir)).find((m) => m.to === 'bomb@example.test');
      assert.ok(mail, 'the confirmation mail was sent');
      assert.doesNotMatch(`${mail.parsed.text ?? ''} ${String(mail.parsed.html)}`, /evil\.example|Cheap pills/);
      assert.match(mail.parsed.text ?? '', /^Hello,/);
    });

    it('does not mail the same address twice within 10 minutes', async () => {
      const again = await t.services.signup({ list: 'news', email: 'ann@example.test' }, FORM);
      assert.equal(again.confirmationMail, 'too_soon');
      assert.equal(await t.services.worker.drain(), 0);
    });

    it('confirms with a valid token, idempotently, and keeps a confirmed subscriber confirmed', async () => {
      const s = t.services;
      const view = await s.subscribers.show('ann@example.test');
      const list = await s.lists.requireList('news');
      const token = s.tokens.sign('confirm', view.id, list.id);
      assert.equal((await s.confirm.inspect(token)).state, 'valid');
      assert.equal(
        (await s.subscribers.show('ann@example.test')).subscriptions[0]!.status,
        'pending',
        'inspect changes nothing',
      );
      const first = await s.confirm.confirm(token, { ...FORM, ip: '198.51.100.9' });
      assert.equal(first.alreadyConfirmed, false);
      const second = await s.confirm.confirm(token, FORM);
      assert.equal(second.alreadyConfirmed, true);
      const after = await s.subscribers.show('ann@example.test');
      assert.equal(after.subscriptions[0]!.status, 'confirmed');
      const confirmed = after.events.filter((e) => e.type === 'confirmed');
      assert.equal(confirmed.length, 1);
      assert.equal(confirmed[0]!.ip, '198.51.100.9');

      const resignup = await s.signup({ list: 'news', email: 'ann@example.test' }, FORM);
      assert.equal(resignup.status, 'confirmed');
      assert.equal(resignup.confirmationMail, 'not_needed');
    });

    it('counts repeated signups of a confirmed subscription in one event instead of adding fake history', async () => {
      const s = t.services;
      // ann is confirmed and signed up once more above; 49 anonymous signups follow.
      for (let i = 0; i < 49; i++) await s.signup({ list: 'news', email: 'ann@example.test' }, FORM);
      const events = (await s.subscribers.show('ann@example.test')).events;
      const afterConfirm = events.slice(events.findIndex((e) => e.type === 'confirmed') + 1);
      assert.deepEqual(
        afterConfirm.map((e) => e.type),
        ['signup'],
      );
      assert.equal(afterConfirm[0]!.detail.repeats, 50);
      assert.match(String(afterConfirm[0]!.detail.lastAt), /^\d{4}-\d{2}-\d{2}T/);
      assert.equal((await s.subscribers.show('ann@example.test')).subscriptions[0]!.status, 'confirmed');
    });

    it('refuses forged and expired tokens', async () => {
      const s = t.services;
      const list = await s.lists.requireList('news');
      const view = await s.subscribers.show('ann@example.test');
      await s.signup({ list: 'news', email: 'bob@example.test' }, FORM);
      const bob = await s.subscribers.show('bob@example.test');
      const old = s.tokens.sign('confirm', bob.id, list.id, Date.now() - 8 * 86_400_000);
      assert.equal((await s.confirm.inspect(old)).state, 'expired');
      await assert.rejects(s.confirm.confirm(old, FORM), { code: 'gone' });
      assert.equal((await s.confirm.inspect('A'.repeat(43))).state, 'invalid');
      await assert.rejects(s.confirm.confirm('nonsense', FORM), { code: 'not_found' });
      const unsubscribeToken = s.tokens.sign('unsubscribe', view.id, list.id);
      assert.equal(
        (await s.confirm.inspect(unsubscribeToken)).state,
        'invalid',
        'a token of another purpose does not confirm',
      );
      assert.equal((await s.subscribers.show('bob@example.test')).subscriptions[0]!.status, 'pending');
    });

    it('rejects invalid input with a sentence and stores nothing', async () => {
      const s = t.services;
      await assert.rejects(s.signup({ list: 'news', email: 'no-at-sign' }, FORM), {
        code: 'invalid_input',
        message: /needs an @/,
      });
      await assert.rejects(s.signup({ list: 'news', email: 'x@example.test', name: 'a\nb' }, FORM), {
        code: 'invalid_input',
        message: /line breaks/,
      });
      await assert.rejects(s.signup({ list: 'news', email: 'x@example.test', attributes: [1, 2] }, FORM), {
        code: 'invalid_input',
        message: /object/,
      });
      await assert.rejects(s.signup({ list: 'missing', email: 'x@example.test' }, FORM), { code: 'not_found' });
      await assert.rejects(s.subscribers.show('x@example.test'), { code: 'not_found' });
    });

    it('records the consent wording version that the form showed', async () => {
      const s = t.services;
      await s.lists.update('news', { consentText: 'Version two of the wording, shown from now on.' });
      await s.signup({ list: 'news', email: 'carol@example.test', consentVersion: 1 }, FORM);
      await s.signup({ list: 'news', email: 'dave@example.test' }, FORM);
      assert.equal((await s.subscribers.show('carol@example.test')).events[0]!.consentVersion, 1);
      assert.equal((await s.subscribers.show('dave@example.test')).events[0]!.consentVersion, 2);
    });
  });
}
