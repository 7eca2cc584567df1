import type { Db } from '../db/database.js';
import type { DkimKeyRow, DkimKeyStatus } from '../db/schema.js';

export async function insertKey(db: Db, key: Omit<DkimKeyRow, 'id' | 'activated_at' | 'retired_at'>): Promise<number> {
  const row = await db
    .insertInto('dkim_keys')
    .values({ ...key, activated_at: key.status === 'active' ? key.created_at : null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export function allKeys(db: Db): Promise<DkimKeyRow[]> {
  return db.selectFrom('dkim_keys').selectAll().orderBy('domain').orderBy('created_at').orderBy('id').execute();
}

export function findKey(db: Db, domain: string, selector: string): Promise<DkimKeyRow | undefined> {
  return db
    .selectFrom('dkim_keys')
    .selectAll()
    .where('domain', '=', domain)
    .where('selector', '=', selector)
    .executeTakeFirst();
}

export function activeKeys(db: Db, domain: string): Promise<DkimKeyRow[]> {
  return db
    .selectFrom('dkim_keys')
    .selectAll()
    .where('domain', '=', domain)
    .where('status', '=', 'active')
    .orderBy('algorithm', 'desc') // rsa before ed25519: the RSA signature comes first
    .execute();
}

/** Marks the key active and the domain's other active key of that algorithm retired. */
export async function activateKey(db: Db, key: DkimKeyRow, now: number): Promise<void> {
  await db
    .updateTable('dkim_keys')
    .set({ status: 'retired', retired_at: now })
    .where('domain', '=', key.domain)
    .where('algorithm', '=', key.algorithm)
    .where('status', '=', 'active')
    .where('id', '!=', key.id)
    .execute();
  await db
    .updateTable('dkim_keys')
    .set({ status: 'active' satisfies DkimKeyStatus, activated_at: now, retired_at: null })
    .where('id', '=', key.id)
    .execute();
}

export async function deleteKey(db: Db, id: number): Promise<void> {
  await db.deleteFrom('dkim_keys').where('id', '=', id).execute();
}
