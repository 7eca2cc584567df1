import type { Db } from '../db/database.js';
import type { AttributeType } from '../subscribers/attribute-values.js';

/** Declares (or re-declares) the type of an attribute on a list. */
export async function declareAttribute(
  db: Db,
  listId: number,
  name: string,
  type: AttributeType,
  now: number,
): Promise<void> {
  await db
    .insertInto('list_attributes')
    .values({ list_id: listId, name, type, created_at: now })
    .onConflict((c) => c.columns(['list_id', 'name']).doUpdateSet({ type }))
    .execute();
}

/** Forgets an attribute's declared type; true when there was one. */
export async function forgetAttribute(db: Db, listId: number, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('list_attributes')
    .where('list_id', '=', listId)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The declared attributes of a list, by name. */
export async function attributeTypesOf(db: Db, listId: number): Promise<Map<string, AttributeType>> {
  const rows = await db
    .selectFrom('list_attributes')
    .select(['name', 'type'])
    .where('list_id', '=', listId)
    .orderBy('name')
    .execute();
  return new Map(rows.map((r) => [r.name, r.type]));
}

/** The declared attributes of the lists a subscriber is on (any status), with each list's slug. */
export async function attributeTypesForSubscriber(
  db: Db,
  subscriberId: number,
): Promise<Array<{ list: string; name: string; type: AttributeType }>> {
  return db
    .selectFrom('list_attributes as a')
    .innerJoin('subscriptions as sn', 'sn.list_id', 'a.list_id')
    .innerJoin('lists as l', 'l.id', 'a.list_id')
    .select(['l.slug as list', 'a.name', 'a.type'])
    .where('sn.subscriber_id', '=', subscriberId)
    .orderBy('a.name')
    .orderBy('l.slug')
    .execute();
}
