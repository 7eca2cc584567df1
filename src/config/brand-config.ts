import { z } from 'zod';

/**
 * The shop's brand as settings (`brand.*`): shown on every public page and system mail; a list may
 * override each field (lists/brand). One schema per field, shared by the settings and the lists'
 * overrides, so both refuse the same values with the same sentence. Pure.
 */
export interface BrandSettings {
  name?: string | undefined;
  /** An uploaded image's id in `brand_assets` (`<32 hex>.png`), served at /brand/<id>. */
  logo?: string | undefined;
  /** `#rrggbb`. */
  accent?: string | undefined;
  shopUrl?: string | undefined;
  privacyUrl?: string | undefined;
  /** The imprint: postal address and company details (the shop-wide one is `postal_address`). */
  address?: string | undefined;
}

/** An absolute http(s) page address without a user name or password. */
const pageUrl = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// address of a page, without a user name or password')
  .transform((v) => new URL(v).href);

export const BRAND_FIELDS = {
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must be one line of text'),
  logo: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{32}\.(png|jpg|gif|webp)$/, 'must name an uploaded image (give the image file to set it)'),
  accent: z
    .string()
    .trim()
    .regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'must be a colour like #1d4ed8')
    .transform((v) => (v.length === 4 ? `#${v[1]}${v[1]}${v[2]}${v[2]}${v[3]}${v[3]}` : v).toLowerCase()),
  shopUrl: pageUrl,
  privacyUrl: pageUrl,
  address: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
} as const;

/** The variables of the shop-wide brand (settings `brand.*`). */
export const brandVariables = {
  LISTWARDEN_BRAND_NAME: BRAND_FIELDS.name.optional(),
  LISTWARDEN_BRAND_LOGO: BRAND_FIELDS.logo.optional(),
  LISTWARDEN_BRAND_ACCENT: BRAND_FIELDS.accent.optional(),
  LISTWARDEN_BRAND_SHOP_URL: BRAND_FIELDS.shopUrl.optional(),
  LISTWARDEN_BRAND_PRIVACY_URL: BRAND_FIELDS.privacyUrl.optional(),
};

type BrandVariables = { [K in keyof typeof brandVariables]?: z.output<(typeof brandVariables)[K]> };

export function brandOfVariables(e: BrandVariables, postalAddress: string | undefined): BrandSettings {
  return {
    name: e.LISTWARDEN_BRAND_NAME,
    logo: e.LISTWARDEN_BRAND_LOGO,
    accent: e.LISTWARDEN_BRAND_ACCENT,
    shopUrl: e.LISTWARDEN_BRAND_SHOP_URL,
    privacyUrl: e.LISTWARDEN_BRAND_PRIVACY_URL,
    address: postalAddress,
  };
}
