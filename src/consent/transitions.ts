import type { ConsentEventType, SubscriptionStatus } from '../db/schema.js';

/** What can happen to a subscription. */
export type ConsentAction =
  'signup' | 'import' | 'import_with_proof' | 'confirm' | 'unsubscribe' | 'bounce' | 'complaint';

/** The outcome of an action: the next status, whether to mail a confirmation, the event to record. */
export interface Transition {
  next: SubscriptionStatus;
  /** The action changed the stored status. */
  changed: boolean;
  sendConfirmation: boolean;
  event: ConsentEventType;
}

export type TransitionResult = { ok: true; transition: Transition } | { ok: false; reason: string };

const EVENT_OF: Record<ConsentAction, ConsentEventType> = {
  signup: 'signup',
  import: 'imported',
  import_with_proof: 'imported',
  confirm: 'confirmed',
  unsubscribe: 'unsubscribed',
  bounce: 'bounce',
  complaint: 'complaint',
};

/**
 * The subscription state machine: the only definition of which status follows which.
 * `current` is undefined when the person has no subscription to the list yet.
 */
export function transition(current: SubscriptionStatus | undefined, action: ConsentAction): TransitionResult {
  const to = (next: SubscriptionStatus, sendConfirmation = false): TransitionResult => ({
    ok: true,
    transition: { next, changed: next !== current, sendConfirmation, event: EVENT_OF[action] },
  });
  switch (action) {
    case 'signup':
      // A confirmed subscriber stays confirmed and gets no mail; everybody else must confirm (again).
      return current === 'confirmed' ? to('confirmed') : to('pending', true);
    case 'import':
      // An import never changes an existing subscription: it must not resubscribe people who left.
      return current === undefined ? to('pending', true) : to(current);
    case 'import_with_proof':
      return current === undefined ? to('confirmed') : to(current);
    case 'confirm':
      if (current === 'pending' || current === 'confirmed') return to('confirmed');
      if (current === undefined) return { ok: false, reason: 'There is no subscription to confirm.' };
      return {
        ok: false,
        reason:
          current === 'unsubscribed'
            ? 'This subscription was cancelled; sign up again to receive mail.'
            : 'Mail to this address bounced; sign up again to receive mail.',
      };
    case 'unsubscribe':
      return current === undefined ? { ok: false, reason: 'There is no subscription to cancel.' } : to('unsubscribed');
    case 'complaint':
      return current === undefined ? { ok: false, reason: 'There is no subscription.' } : to('unsubscribed');
    case 'bounce':
      return current === undefined ? { ok: false, reason: 'There is no subscription.' } : to('bounced');
  }
}

/**
 * What the consent operation writes for an allowed transition: `write` the subscription row (also
 * when a pending signup repeats: that restarts its purge clock and serialises concurrent signups),
 * and `record` the event (a change always; a signup, complaint or bounce also when nothing changed,
 * as evidence of what happened).
 */
export function eventPolicy(action: ConsentAction, step: Transition): { write: boolean; record: boolean } {
  const write = step.changed || (action === 'signup' && step.next === 'pending');
  const record = step.changed || action === 'signup' || action === 'complaint' || action === 'bounce';
  return { write, record };
}
