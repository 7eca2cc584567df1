import type { Db } from '../db/database.js';

export interface BrandAsset {
  id: string;
  contentType: string;
  bytes: Buffer;
  width: number;
  height: number;
}

/** Stores an image once: the id is derived from its bytes, so a second upload of it changes nothing. */
export async function insertAsset(db: Db, asset: BrandAsset, now: number): Promise<void> {
  await db
    .insertInto('brand_assets')
    .values({
      id: asset.id,
      content_type: asset.contentType,
      bytes: asset.bytes,
      width: asset.width,
      height: asset.height,
      created_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function findAsset(db: Db, id: string): Promise<BrandAsset | undefined> {
  const row = await db.selectFrom('brand_assets').selectAll().where('id', '=', id).executeTakeFirst();
  return row
    ? { id: row.id, contentType: row.content_type, bytes: Buffer.from(row.bytes), width: row.width, height: row.height }
    : undefined;
}

/** The size of an image, without its bytes. */
export async function findAssetSize(db: Db, id: string): Promise<{ width: number; height: number } | undefined> {
  return db.selectFrom('brand_assets').select(['width', 'height']).where('id', '=', id).executeTakeFirst();
}
