import type { Database } from '../db/database.js';
import type { ListRow } from '../db/schema.js';
import { findListById } from '../lists/lists.repo.js';
import { AppError } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';
import type { ClientContext } from './client-context.js';
import { queueConfirmation } from './confirmation-queue.js';
import { findSubscription, lastLeftAt, liftSuppression } from './consent.repo.js';
import { suppressionHash } from './suppression-key.js';
import { changeConsent } from './change-consent.js';
import { DEFAULT_CONFIRMATION_LIMITS, type ConfirmationLimits } from './send-limits.js';
import type { TokenClaims, TokenCodec } from './tokens.js';
import { transition } from './transitions.js';

/** What the confirmation page may show for a token, without changing anything. */
export type ConfirmLinkState =
  | { state: 'valid'; list: ListRow; alreadyConfirmed: boolean }
  | { state: 'expired'; list: ListRow | undefined }
  | { state: 'invalid' }
  | { state: 'closed'; list: ListRow; reason: string };

export interface ConfirmDeps {
  database: Database;
  tokens: TokenCodec;
  confirmTtlMs: number;
  limits?: ConfirmationLimits;
  onMailQueued?: () => void;
  clock?: Clock;
}

/** Double opt-in, step two: the link from the mail, shown by GET and acted on by POST only. */
export function createConfirmService(deps: ConfirmDeps) {
  const { database, tokens } = deps;
  const limits = deps.limits ?? DEFAULT_CONFIRMATION_LIMITS;
  const clock = deps.clock ?? systemClock;

  async function inspect(token: string): Promise<{ link: ConfirmLinkState; claims?: TokenClaims }> {
    const check = tokens.verify(token, 'confirm', { maxAgeMs: deps.confirmTtlMs });
    if (!check.ok && check.reason !== 'expired') return { link: { state: 'invalid' } };
    const claims = check.ok ? check.claims : (check.claims as TokenClaims);
    const list = await findListById(database.db, claims.listId);
    const subscription = list && (await findSubscription(database.db, claims.subscriberId, claims.listId));
    if (!list || !subscription) return { link: check.ok ? { state: 'invalid' } : { state: 'expired', list }, claims };
    if (subscription.status === 'confirmed') return { link: { state: 'valid', list, alreadyConfirmed: true }, claims };
    if (!check.ok) return { link: { state: 'expired', list }, claims };
    const step = transition(subscription.status, 'confirm');
    if (!step.ok) return { link: { state: 'closed', list, reason: step.reason }, claims };
    // A link mailed before the person left cannot confirm a later signup (a rejoin): only the
    // newest mail's link, sent after they asked again, is their new consent. (Tokens carry whole
    // seconds: one issued in the second the person left counts as after it.)
    const leftAt = await lastLeftAt(database.db, claims.subscriberId, claims.listId);
    if (leftAt !== undefined && claims.issuedAt + 1000 <= leftAt)
      return {
        link: {
          state: 'closed',
          list,
          reason: 'This link is from before you left the list; please use the link in the newest email.',
        },
        claims,
      };
    return { link: { state: 'valid', list, alreadyConfirmed: false }, claims };
  }

  return {
    /** For GET: reads the link's state and changes nothing (mail scanners follow links). */
    async inspect(token: string): Promise<ConfirmLinkState> {
      return (await inspect(token)).link;
    },

    /** For POST: confirms, records the evidence; repeating it changes nothing. */
    async confirm(
      token: string,
      context: ClientContext,
    ): Promise<{ list: ListRow; alreadyConfirmed: boolean; subscriberId: number | undefined }> {
      const { link, claims } = await inspect(token);
      if (link.state === 'invalid')
        throw new AppError(
          'not_found',
          'This confirmation link is not valid. Please use the link from the most recent email.',
        );
      if (link.state === 'expired')
        throw new AppError('gone', 'This confirmation link has expired.', { list: link.list?.slug });
      if (link.state === 'closed') throw new AppError('conflict', link.reason);
      if (link.alreadyConfirmed || !claims)
        return { list: link.list, alreadyConfirmed: true, subscriberId: claims?.subscriberId };
      const confirmed = await database.transaction(async (trx) => {
        const outcome = await changeConsent(
          trx,
          {
            subscriberId: claims.subscriberId,
            listId: claims.listId,
            action: 'confirm',
            evidence: {
              channel: context.channel,
              method: 'confirmation link (POST)',
              linkIssuedAt: new Date(claims.issuedAt).toISOString(),
            },
            origin: context,
          },
          clock.now(),
        );
        if (!outcome.ok) throw new AppError('conflict', outcome.reason);
        // Someone who left every list and now confirmed joining one again (from the preference
        // centre) may be mailed again: the "left everything" suppression goes; others stay.
        const subscriber = await findSubscriberById(trx, claims.subscriberId);
        if (subscriber && outcome.transition.changed)
          await liftSuppression(trx, suppressionHash(subscriber.email_key), 'unsubscribed_all');
        return outcome.transition.changed;
      });
      return { list: link.list, alreadyConfirmed: !confirmed, subscriberId: claims.subscriberId };
    },

    /**
     * Sends a fresh link for a genuine but expired token. Answers the same whether or not a mail
     * went out, under the same anti-bombing limits as a signup.
     */
    async resend(token: string): Promise<{ list: ListRow | undefined }> {
      const check = tokens.verify(token, 'confirm');
      if (!check.ok) throw new AppError('not_found', 'This confirmation link is not valid.');
      const { subscriberId, listId } = check.claims;
      const list = await findListById(database.db, listId);
      const queued = await database.transaction(async (trx) => {
        const [subscriber, subscription] = await Promise.all([
          findSubscriberById(trx, subscriberId),
          findSubscription(trx, subscriberId, listId),
        ]);
        if (!list || !subscriber || subscription?.status !== 'pending') return false;
        const decision = await queueConfirmation(
          trx,
          { subscriberId, listId, emailKey: subscriber.email_key, fromAddress: list.from_address, outside: true },
          limits,
          clock.now(),
        );
        return decision === 'queued';
      });
      if (queued) deps.onMailQueued?.();
      return { list };
    },
  };
}

export type ConfirmService = ReturnType<typeof createConfirmService>;
