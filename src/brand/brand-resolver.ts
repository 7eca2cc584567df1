import type { BrandSettings } from '../config/brand-config.js';
import type { BrandAssetsService } from './brand-assets.service.js';
import { brandData, listBrandOf, resolveBrand, type BrandData } from './brand.js';

/** The brand of a list's pages and system mail (or the shop's, for pages of no one list), as template values. */
export type BrandResolver = (list?: { brand: string; name: string }) => Promise<BrandData>;

export function createBrandResolver(deps: {
  shop: () => BrandSettings;
  publicUrl: () => string;
  assets: Pick<BrandAssetsService, 'size'>;
}): BrandResolver {
  return async (list) => {
    const brand = resolveBrand(deps.shop(), list ? listBrandOf(list.brand) : {});
    // Without a brand name, the shop's host names the shop (no name, no brand bar).
    const host = brand.shopUrl ? new URL(brand.shopUrl).host : '';
    return brandData(brand, deps.publicUrl(), await deps.assets.size(brand.logo), host);
  };
}
