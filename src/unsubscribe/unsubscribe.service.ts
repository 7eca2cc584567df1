import { changeConsent, suppressAndCancel } from '../consent/change-consent.js';
import type { ClientContext } from '../consent/client-context.js';
import { findSubscription, subscriptionsOf, type SubscriptionView } from '../consent/consent.repo.js';
import type { OptOutMethod } from '../consent/evidence.js';
import type { PeopleService } from '../consent/people.service.js';
import type { TokenCodec } from '../consent/tokens.js';
import type { Database, Db } from '../db/database.js';
import type { ListRow, SubscriberRow } from '../db/schema.js';
import { findListById, findListBySlug } from '../lists/lists.repo.js';
import { AppError } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';

export type { OptOutMethod } from '../consent/evidence.js';

/** Preference links open personal data, so unlike unsubscribe links they expire. */
export const PREFERENCES_TTL_MS = 90 * 86_400_000;

const INVALID = 'This link is not valid. Please use the link from the most recent email, copied in full.';

/**
 * Opt-out that always works: unsubscribe tokens never expire, need no login or cookie, and the
 * change is committed before the answer. Also the preference centre (leave one list or all,
 * export, erase).
 */
export function createUnsubscribeService(deps: {
  database: Database;
  tokens: TokenCodec;
  subscribers: PeopleService;
  clock?: Clock;
}) {
  const { database, tokens } = deps;
  const clock = deps.clock ?? systemClock;

  /** Ends one subscription (if it is still active) and records the event; true when it changed. */
  async function endSubscription(
    trx: Db,
    subscriberId: number,
    listId: number,
    method: OptOutMethod,
    context: ClientContext,
    now: number,
  ): Promise<boolean> {
    const outcome = await changeConsent(
      trx,
      { subscriberId, listId, action: 'unsubscribe', evidence: { method }, origin: context },
      now,
    );
    return outcome.ok && outcome.transition.changed;
  }

  function unsubscribeClaims(token: string) {
    const check = tokens.verify(token, 'unsubscribe');
    if (!check.ok) throw new AppError('not_found', INVALID);
    return check.claims;
  }

  async function preferencesSubscriber(token: string): Promise<SubscriberRow> {
    const check = tokens.verify(token, 'preferences', { maxAgeMs: PREFERENCES_TTL_MS });
    if (!check.ok) {
      throw check.reason === 'expired'
        ? new AppError(
            'gone',
            'This preferences link has expired. Use the unsubscribe link in any of our emails to get a new one.',
          )
        : new AppError('not_found', INVALID);
    }
    const subscriber = await findSubscriberById(database.db, check.claims.subscriberId);
    if (!subscriber) throw new AppError('gone', 'We no longer hold any data for this address.');
    return subscriber;
  }

  return {
    /** For GET /u/:token: the list and whether the person already left; changes nothing. */
    async inspect(
      token: string,
    ): Promise<{ list: ListRow | undefined; alreadyUnsubscribed: boolean; preferencesToken: string | undefined }> {
      const claims = unsubscribeClaims(token);
      const [list, subscription, subscriber] = await Promise.all([
        findListById(database.db, claims.listId),
        findSubscription(database.db, claims.subscriberId, claims.listId),
        findSubscriberById(database.db, claims.subscriberId),
      ]);
      return {
        list,
        alreadyUnsubscribed: subscription === undefined || subscription.status === 'unsubscribed',
        preferencesToken: subscriber ? tokens.sign('preferences', subscriber.id, 0) : undefined,
      };
    },

    /** POST /u/:token (the one-click target and the page's button): takes effect before it answers. */
    async unsubscribe(
      token: string,
      context: ClientContext,
      method: OptOutMethod,
    ): Promise<{ list: ListRow | undefined; changed: boolean }> {
      const claims = unsubscribeClaims(token);
      const changed = await database.transaction((trx) =>
        endSubscription(trx, claims.subscriberId, claims.listId, method, context, clock.now()),
      );
      return { list: await findListById(database.db, claims.listId), changed };
    },

    async preferences(token: string): Promise<{ email: string; subscriptions: SubscriptionView[] }> {
      const subscriber = await preferencesSubscriber(token);
      return { email: subscriber.email, subscriptions: await subscriptionsOf(database.db, subscriber.id) };
    },

    async leave(token: string, listSlug: string, context: ClientContext): Promise<void> {
      const subscriber = await preferencesSubscriber(token);
      const list = await findListBySlug(database.db, listSlug);
      if (!list) throw new AppError('not_found', `There is no list "${listSlug.slice(0, 64)}".`);
      await database.transaction((trx) =>
        endSubscription(trx, subscriber.id, list.id, 'preference centre', context, clock.now()),
      );
    },

    /** Leaves every list and adds a suppression, so no list of this sender mails the address again. */
    async leaveAll(token: string, context: ClientContext): Promise<void> {
      const subscriber = await preferencesSubscriber(token);
      await database.transaction(async (trx) => {
        const now = clock.now();
        for (const s of await subscriptionsOf(trx, subscriber.id)) {
          await endSubscription(trx, subscriber.id, s.listId, 'preference centre', context, now);
        }
        await suppressAndCancel(
          trx,
          { emailKey: subscriber.email_key, subscriberId: subscriber.id },
          'unsubscribed_all',
          now,
          'recipient left every list',
        );
      });
    },

    async exportData(token: string) {
      const subscriber = await preferencesSubscriber(token);
      return deps.subscribers.exportData(subscriber.email);
    },

    async erase(token: string, context: ClientContext): Promise<void> {
      const subscriber = await preferencesSubscriber(token);
      await deps.subscribers.erase(subscriber.email, context);
    },
  };
}

export type UnsubscribeService = ReturnType<typeof createUnsubscribeService>;
