import { changeConsent, suppressAndCancel } from '../consent/change-consent.js';
import type { ClientContext } from '../consent/client-context.js';
import { findSubscription, findSuppression, subscriptionsOf, type SubscriptionView } from '../consent/consent.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import type { OptOutMethod } from '../consent/evidence.js';
import type { PeopleService } from '../consent/people.service.js';
import type { SignupService } from '../consent/signup.js';
import type { TokenCodec } from '../consent/tokens.js';
import type { Database, Db } from '../db/database.js';
import type { ListRow, SubscriberRow } from '../db/schema.js';
import { findListById, findListBySlug } from '../lists/lists.repo.js';
import { AppError } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';
import { newMessageId } from '../mail/message-id.js';
import { enqueue, queuedCountSince } from '../mail/outbox.repo.js';
import { DATA_LINK_TTL_MS } from './data-link-mail.js';

export type { OptOutMethod } from '../consent/evidence.js';

/** Preference links open personal data, so unlike unsubscribe links they expire. */
export const PREFERENCES_TTL_MS = 90 * 86_400_000;

/** One data link per address per 10 minutes, so the page cannot be used to flood an inbox. */
const DATA_LINK_INTERVAL_MS = 10 * 60_000;
/** And at most three a day, whoever holds the preferences link. */
const DATA_LINKS_PER_DAY = 3;

const INVALID = 'This link is not valid. Please use the link from the most recent email, copied in full.';

/**
 * Opt-out that always works: unsubscribe tokens never expire, need no login or cookie, and the
 * change is committed before the answer. Also the preference centre (leave one list or all) and,
 * through a fresh link mailed to the address, export and erasure.
 */
export function createUnsubscribeService(deps: {
  database: Database;
  tokens: TokenCodec;
  subscribers: PeopleService;
  /** Double opt-in (a rejoin from the preference centre is a new signup with its own evidence). */
  signup: SignupService;
  clock?: Clock;
  /** Wakes the outbox worker after a data link was queued. */
  onMailQueued?: () => void;
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
    if (!check.ok) throw new AppError('not_found', INVALID, { key: 'link.invalid' });
    return check.claims;
  }

  async function preferencesSubscriber(token: string): Promise<SubscriberRow> {
    const check = tokens.verify(token, 'preferences', { maxAgeMs: PREFERENCES_TTL_MS });
    if (!check.ok) {
      throw check.reason === 'expired'
        ? new AppError(
            'gone',
            'This preferences link has expired. Use the unsubscribe link in any of our emails to get a new one.',
            { key: 'link.preferences_expired' },
          )
        : new AppError('not_found', INVALID, { key: 'link.invalid' });
    }
    const subscriber = await findSubscriberById(database.db, check.claims.subscriberId);
    if (!subscriber)
      throw new AppError('gone', 'We no longer hold any data for this address.', { key: 'link.data_gone' });
    return subscriber;
  }

  async function dataSubscriber(token: string): Promise<SubscriberRow> {
    const check = tokens.verify(token, 'data', { maxAgeMs: DATA_LINK_TTL_MS });
    if (!check.ok) {
      throw check.reason === 'expired'
        ? new AppError(
            'gone',
            'This link has expired: it works for one hour. Ask for a new one on your preferences page.',
            { key: 'link.data_expired' },
          )
        : new AppError('not_found', INVALID, { key: 'link.invalid' });
    }
    const subscriber = await findSubscriberById(database.db, check.claims.subscriberId);
    if (!subscriber)
      throw new AppError('gone', 'We no longer hold any data for this address.', { key: 'link.data_gone' });
    return subscriber;
  }

  return {
    /** A preferences link's token for a person (the confirmed page leads to the preference centre). */
    preferencesToken: (subscriberId: number) => tokens.sign('preferences', subscriberId, 0),

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
    ): Promise<{ list: ListRow | undefined; changed: boolean; known: boolean }> {
      const claims = unsubscribeClaims(token);
      const { changed, known } = await database.transaction(async (trx) => ({
        known: (await findSubscription(trx, claims.subscriberId, claims.listId)) !== undefined,
        changed: await endSubscription(trx, claims.subscriberId, claims.listId, method, context, clock.now()),
      }));
      return { list: await findListById(database.db, claims.listId), changed, known };
    },

    async preferences(
      token: string,
    ): Promise<{ email: string; subscriptions: SubscriptionView[]; canRejoin: boolean }> {
      const subscriber = await preferencesSubscriber(token);
      const suppression = await findSuppression(database.db, suppressionHash(subscriber.email_key));
      return {
        email: subscriber.email,
        subscriptions: await subscriptionsOf(database.db, subscriber.id),
        // An address that bounced, complained or was erased is never asked again.
        canRejoin: suppression === undefined || suppression.reason === 'unsubscribed_all',
      };
    },

    async leave(token: string, listSlug: string, context: ClientContext): Promise<void> {
      const subscriber = await preferencesSubscriber(token);
      const list = await findListBySlug(database.db, listSlug);
      if (!list) throw new AppError('not_found', `There is no list "${listSlug.slice(0, 64)}".`);
      await database.transaction((trx) =>
        endSubscription(trx, subscriber.id, list.id, 'preference centre', context, clock.now()),
      );
    },

    /**
     * Joins a list again that the person left: never a silent flip back, but a new double opt-in
     * with its own evidence (this page, the wording shown, IP, browser) and a confirmation mail.
     * Allowed after "leave everything" too (that suppression is lifted only when they confirm);
     * refused for addresses that bounced, complained or were erased.
     */
    async rejoin(
      token: string,
      listSlug: string,
      consentVersion: number | undefined,
      context: ClientContext,
    ): Promise<{ list: ListRow; outcome: 'queued' | 'refused' | 'wait' | 'unchanged' }> {
      const subscriber = await preferencesSubscriber(token);
      const list = await findListBySlug(database.db, listSlug);
      if (!list) throw new AppError('not_found', `There is no list "${listSlug.slice(0, 64)}".`);
      const subscription = await findSubscription(database.db, subscriber.id, list.id);
      // Pressed twice, or a list one is still on: nothing to do, the page shows the state.
      if (subscription?.status !== 'unsubscribed') return { list, outcome: 'unchanged' };
      const result = await deps.signup(
        { list: list.slug, email: subscriber.email, ...(consentVersion ? { consentVersion } : {}), rejoin: true },
        context,
      );
      const mail = result.confirmationMail;
      return { list, outcome: mail === 'queued' ? 'queued' : mail === 'suppressed' ? 'refused' : 'wait' };
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

    /**
     * "Download or delete my data" on the preferences page: mails a link that works for an hour to
     * the address itself, so an old newsletter's links never open the person's data. At most one
     * link per 10 minutes and three a day, none to an address that complained or bounced.
     */
    async requestDataLink(token: string): Promise<{ email: string; sent: boolean }> {
      const subscriber = await preferencesSubscriber(token);
      const queued = await database.transaction(async (trx) => {
        const now = clock.now();
        if ((await queuedCountSince(trx, subscriber.id, 'data_link', now - DATA_LINK_INTERVAL_MS)) > 0) return false;
        if ((await queuedCountSince(trx, subscriber.id, 'data_link', now - 86_400_000)) >= DATA_LINKS_PER_DAY)
          return false;
        // No mail to an address that complained or bounced hard (left-all may still ask for its data).
        const suppression = await findSuppression(trx, suppressionHash(subscriber.email_key));
        if (suppression && suppression.reason !== 'unsubscribed_all') return false;
        const [first] = await subscriptionsOf(trx, subscriber.id);
        const list = first && (await findListById(trx, first.listId));
        if (!list) return false;
        await enqueue(
          trx,
          {
            kind: 'data_link',
            listId: list.id,
            subscriberId: subscriber.id,
            campaignId: null,
            messageId: newMessageId(list.from_address.slice(list.from_address.lastIndexOf('@') + 1), now),
            notBefore: now,
          },
          now,
        );
        return true;
      });
      if (queued) deps.onMailQueued?.();
      return { email: subscriber.email, sent: queued };
    },

    /** The person behind a data link (`/d/:token`), while it is valid. */
    async dataOwner(token: string): Promise<{ email: string; list: string | undefined }> {
      const subscriber = await dataSubscriber(token);
      const [first] = await subscriptionsOf(database.db, subscriber.id);
      return { email: subscriber.email, list: first?.list };
    },

    async exportData(token: string) {
      const subscriber = await dataSubscriber(token);
      return deps.subscribers.exportData(subscriber.email);
    },

    async erase(token: string, context: ClientContext): Promise<void> {
      const subscriber = await dataSubscriber(token);
      await deps.subscribers.erase(subscriber.email, context);
    },
  };
}

export type UnsubscribeService = ReturnType<typeof createUnsubscribeService>;
