import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS } from '../helpers/databases.js';
import { capturedMails, headerValue } from '../helpers/listwarden.js';
import { confirmedSignups, FORM, servicesFor, type TestServices } from '../helpers/services.js';

// Automations through the real composition root on both dialects, with a clock the test moves:
// a welcome series started by confirmations, a cart flow started by an event and cancelled by
// another, an unsubscribe stopping flows, pause and resume.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WELCOME = '<p>Welcome, {{ subscriber.name }}!</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
const TIPS = '<p>Three tips for {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
const CART =
  '<p>You left {% for i in event.items %}{{ i.title }} {% endfor %}in your cart.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';

for (const dialect of DIALECTS) {
  describe(`automations on ${dialect.name}`, { skip: dialect.skip }, () => {
    let t: TestServices;
    let now = Date.parse('2026-06-01T09:00:00Z');
    const clock = { now: () => now };
    let listId = 0;

    /** Runs the scheduler and the worker as `serve` does; the mail sent to `to` with `subject`. */
    async function step() {
      const result = await t.services.automationScheduler.tick();
      await t.services.worker.drain();
      return result;
    }
    async function mailsTo(address: string) {
      return (await capturedMails(t.captureDir))
        .filter((m) => m.to === address && !m.parsed.subject?.startsWith('Please confirm'))
        .map((m) => m.parsed.subject);
    }

    before(async () => {
      t = await servicesFor(dialect, { LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam' }, { clock });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'Shop News', from: 'news@shop.test' });
      await s.dkim.generate({ domain: 'shop.test' });
      listId = list.id;
      // Confirmed before the welcome flow exists: not welcomed.
      await confirmedSignups(s, list, [{ email: 'early@example.test', name: 'Early' }]);
      await s.automations.create({ name: 'welcome', list: 'news', on: 'confirmed' });
      await s.automations.addStep('welcome', { after: '0m', subject: 'Welcome to {{ list.name }}', html: WELCOME });
      await s.automations.addStep('welcome', { after: '2d', subject: 'Tips', html: TIPS });
      await s.automations.create({ name: 'cart', list: 'news', on: 'cart.abandoned', cancelOn: ['order.completed'] });
      await s.automations.addStep('cart', { after: '2h', subject: 'Your cart is waiting', html: CART });
      await confirmedSignups(s, list, [
        { email: 'ann@example.test', name: 'Ann' },
        { email: 'bob@example.test', name: 'Bob' },
      ]);
      await s.worker.drain(); // the confirmation mails
    });
    after(async () => t.cleanup());

    it('welcomes each new confirmation with the steps in order, once each, as campaign mail', async () => {
      assert.deepEqual(await step(), { started: 2, queued: 2, stopped: 0 });
      assert.deepEqual(await mailsTo('ann@example.test'), ['Welcome to Shop News']);
      const welcome = (await capturedMails(t.captureDir)).find((m) => m.parsed.subject === 'Welcome to Shop News');
      assert.match(headerValue(welcome!, 'List-Unsubscribe'), /^<https:\/\/mail\.shop\.test\/u\//);
      assert.equal(headerValue(welcome!, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
      assert.match(welcome!.raw, /^DKIM-Signature: /m, 'signed as campaign mail');
      assert.doesNotMatch((await mailsTo('early@example.test')).join(), /Welcome/, 'no welcome for the past');
      // Nothing more until the second step's time; then it, once.
      assert.deepEqual(await step(), { started: 0, queued: 0, stopped: 0 });
      now += 2 * DAY - 60_000;
      assert.equal((await step()).queued, 0);
      now += 60_000;
      assert.equal((await step()).queued, 2);
      assert.equal((await step()).queued, 0);
      assert.deepEqual(await mailsTo('bob@example.test'), ['Welcome to Shop News', 'Tips']);
      const view = await t.services.automations.show('welcome');
      assert.deepEqual(view.runs, { done: 2 });
      assert.deepEqual(view.mail, { sent: 4 });
      assert.deepEqual(
        view.steps.map((s) => [s.position, s.after, s.subject]),
        [
          [1, '0m', 'Welcome to {{ list.name }}'],
          [2, '2d', 'Tips'],
        ],
      );
    });

    it('starts a cart flow on the event, shows the event data, and lets the order cancel it', async () => {
      const s = t.services;
      const items = { items: [{ title: 'Tulips' }, { title: 'Vase' }] };
      assert.deepEqual(
        (await s.automations.event({ email: 'ann@example.test', name: 'cart.abandoned', data: items })).started,
        ['cart'],
      );
      // A second cart while the first waits: one run.
      assert.deepEqual((await s.automations.event({ email: 'ann@example.test', name: 'cart.abandoned' })).started, []);
      assert.deepEqual(
        (await s.automations.event({ email: 'bob@example.test', name: 'cart.abandoned', data: items })).started,
        ['cart'],
      );
      const stranger = await s.automations.event({ email: 'nobody@example.test', name: 'cart.abandoned' });
      assert.match(stranger.note ?? '', /not a subscriber/);
      now += HOUR;
      assert.deepEqual((await s.automations.event({ email: 'bob@example.test', name: 'order.completed' })).cancelled, [
        'cart',
      ]);
      now += HOUR;
      assert.equal((await step()).queued, 1);
      const reminders = (await capturedMails(t.captureDir)).filter((m) => m.parsed.subject === 'Your cart is waiting');
      assert.deepEqual(
        reminders.map((m) => m.to),
        ['ann@example.test'],
        'bob ordered: his reminder was cancelled',
      );
      assert.match(reminders[0]!.parsed.text ?? '', /You left Tulips Vase in your cart/);
      // A later cart starts a new run, and its step is sent again.
      assert.deepEqual((await s.automations.event({ email: 'ann@example.test', name: 'cart.abandoned' })).started, [
        'cart',
      ]);
      now += 2 * HOUR;
      assert.equal((await step()).queued, 1);
      assert.deepEqual((await s.automations.show('cart')).runs, { done: 2, cancelled: 1 });
    });

    it('stops every flow of a list for whoever unsubscribes from it', async () => {
      const s = t.services;
      await confirmedSignups(s, { slug: 'news', id: listId }, [{ email: 'cara@example.test', name: 'Cara' }]);
      assert.equal((await step()).queued, 1); // her welcome
      await s.automations.event({ email: 'cara@example.test', name: 'cart.abandoned' });
      const cara = await s.subscribers.show('cara@example.test');
      const waiting = (await s.automations.show('welcome')).runs.waiting ?? 0;
      await s.unsubscribe.unsubscribe(s.tokens.sign('unsubscribe', cara.id, listId), FORM, 'one-click');
      // Stopped at the next tick, not when their steps fall due.
      const result = await step();
      assert.equal(result.queued, 0);
      assert.equal(result.stopped, 2, 'the welcome series and the cart flow');
      assert.equal((await s.automations.show('welcome')).runs.waiting ?? 0, waiting - 1);
      now += 2 * DAY;
      await step();
      assert.deepEqual(await mailsTo('cara@example.test'), ['Welcome to Shop News']);
      // An unsubscribed person's event starts nothing.
      assert.deepEqual((await s.automations.event({ email: 'cara@example.test', name: 'cart.abandoned' })).started, []);
    });

    it('holds steps while paused and sends them at resume; refuses a step without an opt-out', async () => {
      const s = t.services;
      await s.automations.pause('welcome');
      await confirmedSignups(s, { slug: 'news', id: listId }, [{ email: 'dirk@example.test', name: 'Dirk' }]);
      assert.equal((await step()).queued, 0);
      assert.equal((await s.automations.show('welcome')).status, 'paused');
      await s.automations.resume('welcome');
      assert.equal((await step()).queued, 1);
      assert.deepEqual(await mailsTo('dirk@example.test'), ['Welcome to Shop News']);
      await assert.rejects(
        s.automations.addStep('welcome', {
          after: '1d',
          subject: 'No way out',
          html: '<p>Buy now</p>',
          layout: 'none',
        }),
        /unsubscribe_url/,
      );
      assert.equal((await s.automations.show('welcome')).steps.length, 2, 'the refused step was not added');
      await assert.rejects(
        s.automations.addStep('welcome', { after: 'soon', subject: 'x', html: WELCOME }),
        /delay "soon"/,
      );
      await assert.rejects(s.automations.create({ name: 'x', list: 'news', on: 'Cart Abandoned!' }), /trigger/);
      await assert.rejects(
        s.automations.create({ name: 'x', list: 'news', on: 'confirmed', cancelOn: ['confirmed'] }),
        /not the name of an event/,
      );
      await assert.rejects(
        s.automations.event({ email: 'dirk@example.test', name: 'confirmed' }),
        /not the name of an event/,
      );
    });
  });
}
