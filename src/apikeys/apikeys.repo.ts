import type { Db } from '../db/database.js';
import type { ApiKeyRow } from '../db/schema.js';

export async function insertApiKey(
  db: Db,
  key: { name: string; hash: string; prefix: string },
  now: number,
): Promise<number> {
  const row = await db
    .insertInto('api_keys')
    .values({ name: key.name, key_hash: key.hash, prefix: key.prefix, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findActiveByHash(db: Db, hash: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function allApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('name').execute();
}

export async function revokeByName(db: Db, name: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touch(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
