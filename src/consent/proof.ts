import type { Database } from '../db/database.js';
import type { ListsService } from '../lists/lists.service.js';
import { notFound } from '../shared/app-error.js';
import { findSubscriberByKey } from '../subscribers/subscribers.repo.js';
import { parseAddress } from './people.service.js';
import { eventsOf, findSubscription, type EventView } from './consent.repo.js';
import { systemClock } from '../shared/clock.js';

/** The evidence of one person's consent to one list, as printed by `consent proof`. */
export interface ConsentProof {
  email: string;
  list: { slug: string; name: string; from: string };
  status: string;
  subscribedAt: string | null;
  confirmedAt: string | null;
  generatedAt: string;
  events: Array<Omit<EventView, 'at'> & { at: string }>;
}

/** Gathers the proof of consent of `email` for `listSlug`. */
export async function gatherProof(
  database: Database,
  lists: ListsService,
  email: unknown,
  listSlug: string,
): Promise<ConsentProof> {
  const address = parseAddress(email);
  const list = await lists.requireList(listSlug);
  const subscriber = await findSubscriberByKey(database.db, address.key);
  const subscription = subscriber && (await findSubscription(database.db, subscriber.id, list.id));
  if (!subscriber || !subscription) throw notFound(`${address.email} has no subscription to "${list.slug}".`);
  const events = await eventsOf(database.db, subscriber.id, list.id);
  return {
    email: subscriber.email,
    list: {
      slug: list.slug,
      name: list.name,
      from: list.from_name ? `${list.from_name} <${list.from_address}>` : list.from_address,
    },
    status: subscription.status,
    subscribedAt: new Date(subscription.created_at).toISOString(),
    confirmedAt: subscription.confirmed_at === null ? null : new Date(subscription.confirmed_at).toISOString(),
    generatedAt: new Date(systemClock.now()).toISOString(),
    events: events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
  };
}
