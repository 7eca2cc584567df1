import type { Db, Dialect } from '../db/database.js';
import type { WebhookEndpointRow } from '../db/schema.js';

/** Every query on the webhook tables: endpoints, events, leased deliveries and their log. */

export interface NewEndpoint {
  url: string;
  events: readonly string[];
  description: string | null;
  secretSealed: string;
}

export async function insertEndpoint(db: Db, endpoint: NewEndpoint, now: number): Promise<number> {
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      url: endpoint.url,
      events: JSON.stringify(endpoint.events),
      description: endpoint.description,
      secret_sealed: endpoint.secretSealed,
      enabled: 1,
      failing_since: null,
      disabled_reason: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function listEndpoints(db: Db): Promise<WebhookEndpointRow[]> {
  return db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute();
}

export async function endpointById(db: Db, id: number): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateEndpoint(
  db: Db,
  id: number,
  change: { url?: string; events?: readonly string[]; description?: string | null; enabled?: boolean },
  now: number,
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.events !== undefined ? { events: JSON.stringify(change.events) } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
      // Turned on again: failures start counting afresh.
      ...(change.enabled !== undefined
        ? {
            enabled: change.enabled ? 1 : 0,
            disabled_reason: change.enabled ? null : 'turned off',
            failing_since: null,
          }
        : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  // Turned on again: what waited for it goes now, in order.
  if (change.enabled === true)
    await db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: now })
      .where('endpoint_id', '=', id)
      .where('status', '=', 'queued')
      .where('next_attempt_at', '>', now)
      .execute();
}

export async function deleteEndpoint(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The enabled endpoints and the events each wants (a small table, read in the emitting transaction). */
export async function enabledEndpoints(db: Db): Promise<Array<{ id: number; events: string }>> {
  return db.selectFrom('webhook_endpoints').select(['id', 'events']).where('enabled', '=', 1).execute();
}

/** One event and a queued delivery to each endpoint in `endpointIds`. */
export async function insertEventWithDeliveries(
  db: Db,
  event: { type: string; payload: string; orderingKey: string },
  endpointIds: readonly number[],
  now: number,
): Promise<number> {
  const row = await db
    .insertInto('webhook_events')
    .values({ type: event.type, payload: event.payload, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const eventId = Number(row.id);
  await db
    .insertInto('webhook_deliveries')
    .values(
      endpointIds.map((endpointId) => ({
        endpoint_id: endpointId,
        event_id: eventId,
        ordering_key: event.orderingKey,
        status: 'queued' as const,
        attempts: 0,
        next_attempt_at: now,
        lease_until: null,
        leased_by: null,
        last_code: null,
        last_error: null,
        created_at: now,
        delivered_at: null,
      })),
    )
    .execute();
  return eventId;
}

/** A claimed delivery with what its request needs. */
export interface ClaimedDelivery {
  id: number;
  endpoint_id: number;
  event_id: number;
  attempts: number;
  url: string;
  secret_sealed: string;
  type: string;
  payload: string;
  event_created_at: number;
}

/**
 * Claims due deliveries under a lease: queued ones whose time has come and `sending` ones whose
 * lease ran out (their process died), each only when no earlier delivery with the same endpoint
 * and ordering key is still unfinished, so one subscriber's events arrive in order.
 */
export async function claimDeliveries(
  db: Db,
  dialect: Dialect,
  options: { workerId: string; now: number; leaseMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
  const { workerId, now, leaseMs, limit } = options;
  const candidates = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select('d.id')
    .where('e.enabled', '=', 1)
    .where((eb) =>
      eb.or([
        eb.and([eb('d.status', '=', 'queued'), eb('d.next_attempt_at', '<=', now)]),
        eb.and([eb('d.status', '=', 'sending'), eb('d.lease_until', '<', now)]),
      ]),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('webhook_deliveries as earlier')
            .select('earlier.id')
            .whereRef('earlier.endpoint_id', '=', 'd.endpoint_id')
            .whereRef('earlier.ordering_key', '=', 'd.ordering_key')
            .whereRef('earlier.id', '<', 'd.id')
            .where('earlier.status', '!=', 'delivered'),
        ),
      ),
    )
    .orderBy('d.id')
    .limit(limit);
  const locked = dialect === 'postgres' ? candidates.forUpdate('d').skipLocked() : candidates;
  const claimed = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      status: 'sending',
      lease_until: now + leaseMs,
      leased_by: workerId,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', locked)
    .returning(['id', 'endpoint_id', 'event_id', 'attempts'])
    .execute();
  if (claimed.length === 0) return [];
  const details = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .innerJoin('webhook_events as v', 'v.id', 'd.event_id')
    .select([
      'd.id',
      'd.endpoint_id',
      'd.event_id',
      'd.attempts',
      'e.url',
      'e.secret_sealed',
      'v.type',
      'v.payload',
      'v.created_at as event_created_at',
    ])
    .where(
      'd.id',
      'in',
      claimed.map((c) => c.id),
    )
    .orderBy('d.id')
    .execute();
  return details.map((d) => ({
    ...d,
    id: Number(d.id),
    endpoint_id: Number(d.endpoint_id),
    event_id: Number(d.event_id),
  }));
}

/** The end of one try: delivered, or queued again for `nextAt`. Only the lease holder settles. */
export async function settleDelivery(
  db: Db,
  id: number,
  workerId: string,
  outcome: { delivered: true; code: number } | { delivered: false; code: number | null; error: string; nextAt: number },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set(
      outcome.delivered
        ? { status: 'delivered', delivered_at: now, last_code: outcome.code, last_error: null, lease_until: null }
        : {
            status: 'queued',
            next_attempt_at: outcome.nextAt,
            last_code: outcome.code,
            last_error: outcome.error.slice(0, 500),
            lease_until: null,
          },
    )
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .where('leased_by', '=', workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertAttempt(
  db: Db,
  attempt: { deliveryId: number; at: number; code: number | null; durationMs: number; error: string | null },
): Promise<void> {
  await db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: attempt.deliveryId,
      at: attempt.at,
      status_code: attempt.code,
      duration_ms: attempt.durationMs,
      error: attempt.error?.slice(0, 500) ?? null,
    })
    .execute();
}

/** After a success: the endpoint is healthy again. */
export async function markEndpointHealthy(db: Db, id: number): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: null })
    .where('id', '=', id)
    .where('failing_since', 'is not', null)
    .execute();
}

/** After a failure: since when the endpoint fails (the first failure after a success). */
export async function markEndpointFailing(db: Db, id: number, now: number): Promise<number> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: now })
    .where('id', '=', id)
    .where('failing_since', 'is', null)
    .execute();
  const row = await db.selectFrom('webhook_endpoints').select('failing_since').where('id', '=', id).executeTakeFirst();
  return Number(row?.failing_since ?? now);
}

/** Turns an endpoint off (its queued deliveries wait until it is turned on); false if it already was. */
export async function disableEndpoint(db: Db, id: number, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ enabled: 0, disabled_reason: reason, updated_at: now })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface DeliveryLogRow {
  delivery_id: number;
  event_id: number;
  type: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  at: number | null;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
}

/** The newest tries to one endpoint (the delivery log), newest first. */
export async function deliveryLog(db: Db, endpointId: number, limit: number): Promise<DeliveryLogRow[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as v', 'v.id', 'd.event_id')
    .leftJoin('webhook_attempts as a', 'a.delivery_id', 'd.id')
    .select([
      'd.id as delivery_id',
      'd.event_id',
      'v.type',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'a.at',
      'a.status_code',
      'a.duration_ms',
      'a.error',
    ])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.id', 'desc')
    .orderBy('a.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    delivery_id: Number(r.delivery_id),
    event_id: Number(r.event_id),
    at: r.at === null ? null : Number(r.at),
    next_attempt_at: Number(r.next_attempt_at),
  }));
}

/** Counts of an endpoint's deliveries by status. */
export async function deliveryCounts(db: Db, endpointId: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('endpoint_id', '=', endpointId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Housekeeping: delivered deliveries, their log and events nobody waits for, older than `before`. */
export async function pruneDelivered(db: Db, before: number): Promise<number> {
  const result = await db
    .deleteFrom('webhook_deliveries')
    .where('status', '=', 'delivered')
    .where('delivered_at', '<', before)
    .executeTakeFirst();
  await db
    .deleteFrom('webhook_events')
    .where('created_at', '<', before)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'),
        ),
      ),
    )
    .execute();
  return Number(result.numDeletedRows);
}

/**
 * Erasure: the delivered events about one person (by subscriber id and address hash) go now;
 * undelivered ones stay until the shop has them (it must hear of the erasure too).
 */
export async function eraseDeliveredEventsOf(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const events = await db
    .selectFrom('webhook_deliveries')
    .select('event_id')
    .where('ordering_key', 'in', [...keys])
    .where('status', '=', 'delivered')
    .execute();
  if (events.length === 0) return;
  const ids = [...new Set(events.map((e) => Number(e.event_id)))];
  await db.deleteFrom('webhook_deliveries').where('event_id', 'in', ids).where('status', '=', 'delivered').execute();
  await db
    .deleteFrom('webhook_events')
    .where('id', 'in', ids)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'),
        ),
      ),
    )
    .execute();
}
