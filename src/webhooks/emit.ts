import type { Db } from '../db/database.js';
import { enabledEndpoints, insertEventWithDeliveries } from './webhooks.repo.js';
import type { WebhookEvent } from './events.js';

/**
 * Records an event for every enabled endpoint that wants it, in the caller's transaction: the
 * change and its event commit together or not at all, so a crash loses no event (the transactional
 * outbox pattern). Without such an endpoint nothing is written. Returns the event's id, if any.
 */
export async function emitWebhookEvent(trx: Db, event: WebhookEvent, now: number): Promise<number | undefined> {
  const endpoints = (await enabledEndpoints(trx)).filter((e) => wants(e.events, event.type));
  if (endpoints.length === 0) return undefined;
  // The data is gathered only when an endpoint wants the event (it may take a query or two).
  const data = typeof event.data === 'function' ? await event.data() : event.data;
  return insertEventWithDeliveries(
    trx,
    { type: event.type, payload: JSON.stringify(data), orderingKey: event.orderingKey },
    endpoints.map((e) => Number(e.id)),
    now,
  );
}

function wants(events: string, type: string): boolean {
  try {
    const list = JSON.parse(events) as unknown;
    return Array.isArray(list) && list.includes(type);
  } catch {
    return false;
  }
}
