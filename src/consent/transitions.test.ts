import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubscriptionStatus } from '../db/schema.js';
import { transition, type ConsentAction } from './transitions.js';

function next(current: SubscriptionStatus | undefined, action: ConsentAction) {
  const r = transition(current, action);
  assert.ok(r.ok, `${current} + ${action} refused`);
  return r.transition;
}

describe('consent transitions', () => {
  it('a new signup is pending and asks for confirmation', () => {
    assert.deepEqual(next(undefined, 'signup'), {
      next: 'pending',
      changed: true,
      sendConfirmation: true,
      event: 'signup',
    });
  });

  it('signing up again while pending asks again, without a status change', () => {
    assert.deepEqual(next('pending', 'signup'), {
      next: 'pending',
      changed: false,
      sendConfirmation: true,
      event: 'signup',
    });
  });

  it('a confirmed subscriber who signs up again stays confirmed and gets no mail', () => {
    assert.deepEqual(next('confirmed', 'signup'), {
      next: 'confirmed',
      changed: false,
      sendConfirmation: false,
      event: 'signup',
    });
  });

  it('someone who left or bounced must confirm again', () => {
    assert.equal(next('unsubscribed', 'signup').next, 'pending');
    assert.equal(next('bounced', 'signup').sendConfirmation, true);
  });

  it('confirm works from pending and is idempotent', () => {
    assert.deepEqual(next('pending', 'confirm'), {
      next: 'confirmed',
      changed: true,
      sendConfirmation: false,
      event: 'confirmed',
    });
    assert.equal(next('confirmed', 'confirm').changed, false);
  });

  it('confirm is refused after an unsubscribe or a bounce', () => {
    for (const s of ['unsubscribed', 'bounced', undefined] as const) {
      const r = transition(s, 'confirm');
      assert.equal(r.ok, false);
    }
  });

  it('imports never touch existing subscriptions', () => {
    for (const s of ['pending', 'confirmed', 'unsubscribed', 'bounced'] as const) {
      assert.equal(next(s, 'import').changed, false);
      assert.equal(next(s, 'import').sendConfirmation, false);
      assert.equal(next(s, 'import_with_proof').changed, false);
    }
    assert.deepEqual(next(undefined, 'import'), {
      next: 'pending',
      changed: true,
      sendConfirmation: true,
      event: 'imported',
    });
    assert.deepEqual(next(undefined, 'import_with_proof'), {
      next: 'confirmed',
      changed: true,
      sendConfirmation: false,
      event: 'imported',
    });
  });

  it('unsubscribe, complaint and bounce end a subscription', () => {
    assert.equal(next('confirmed', 'unsubscribe').next, 'unsubscribed');
    assert.equal(next('confirmed', 'complaint').next, 'unsubscribed');
    assert.equal(next('confirmed', 'bounce').next, 'bounced');
    assert.equal(transition(undefined, 'unsubscribe').ok, false);
  });
});
