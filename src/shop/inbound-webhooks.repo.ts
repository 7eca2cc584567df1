import type { Db } from '../db/database.js';

/** Delivery ids of shop webhooks already applied (replay protection). */

export async function seenDelivery(db: Db, source: string, deliveryId: string): Promise<boolean> {
  const row = await db
    .selectFrom('inbound_webhooks')
    .select('received_at')
    .where('source', '=', source)
    .where('delivery_id', '=', deliveryId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records an applied delivery; false when it was recorded already (a concurrent duplicate). */
export async function recordDelivery(db: Db, source: string, deliveryId: string, now: number): Promise<boolean> {
  const result = await db
    .insertInto('inbound_webhooks')
    .values({ source, delivery_id: deliveryId, received_at: now })
    .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function pruneDeliveries(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('inbound_webhooks').where('received_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
