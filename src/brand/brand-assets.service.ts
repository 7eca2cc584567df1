import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import { invalidInput } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import * as repo from './brand-assets.repo.js';
import { inspectImage } from './image.js';

export type BrandAssetsService = ReturnType<typeof createBrandAssetsService>;

/** The brand's images: checked, stored in the database (every process serves the same), read by id. */
export function createBrandAssetsService(database: Database, clock: Clock = systemClock) {
  const sizes = new Map<string, { width: number; height: number } | null>();
  return {
    /** Stores an uploaded image and returns its id (what `brand.logo` or a list's logo names). */
    async store(bytes: Buffer): Promise<string> {
      const check = inspectImage(bytes);
      if (!check.ok) throw invalidInput(check.reason, { field: 'logo' });
      const id = `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${check.image.extension}`;
      await repo.insertAsset(
        database.db,
        { id, contentType: check.image.contentType, bytes, width: check.image.width, height: check.image.height },
        clock.now(),
      );
      sizes.set(id, { width: check.image.width, height: check.image.height });
      return id;
    },

    get: (id: string) => repo.findAsset(database.db, id),

    /** The size of an image (kept: images never change under an id); undefined when there is none. */
    async size(id: string | undefined): Promise<{ width: number; height: number } | undefined> {
      if (!id) return undefined;
      if (!sizes.has(id)) {
        if (sizes.size > 1000) sizes.clear();
        sizes.set(id, (await repo.findAssetSize(database.db, id)) ?? null);
      }
      return sizes.get(id) ?? undefined;
    },
  };
}
