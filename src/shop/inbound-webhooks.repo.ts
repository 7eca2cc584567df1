import type { Db } from '../db/database.js';

/**
 * Replay protection of shop webhooks: the hashes of applied bodies (`body:<sha256>`), and per
 * customer the time of the last state applied (`customer:<id>`, its time as `received_at`).
 */

/** Claims a body before it is applied; false when it was claimed already (a replay or a concurrent duplicate). */
export async function recordDelivery(db: Db, source: string, deliveryId: string, now: number): Promise<boolean> {
  const result = await db
    .insertInto('inbound_webhooks')
    .values({ source, delivery_id: deliveryId, received_at: now })
    .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Lets a body be applied again (its application failed). */
export async function forgetDelivery(db: Db, source: string, deliveryId: string): Promise<void> {
  await db.deleteFrom('inbound_webhooks').where('source', '=', source).where('delivery_id', '=', deliveryId).execute();
}

/** The time of the last state applied for a customer, if any. */
export async function lastCustomerState(db: Db, source: string, customerId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('inbound_webhooks')
    .select('received_at')
    .where('source', '=', source)
    .where('delivery_id', '=', `customer:${customerId}`)
    .executeTakeFirst();
  return row ? Number(row.received_at) : undefined;
}

/** Remembers the time of the state just applied for a customer (never moves it back). */
export async function advanceCustomerState(db: Db, source: string, customerId: string, at: number): Promise<void> {
  await db
    .insertInto('inbound_webhooks')
    .values({ source, delivery_id: `customer:${customerId}`, received_at: at })
    .onConflict((oc) =>
      oc
        .columns(['source', 'delivery_id'])
        .doUpdateSet({ received_at: at })
        .where('inbound_webhooks.received_at', '<', at),
    )
    .execute();
}

export async function pruneDeliveries(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('inbound_webhooks').where('received_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
