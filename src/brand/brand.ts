import { z } from 'zod';
import { BRAND_FIELDS, type BrandSettings } from '../config/brand-config.js';
import { invalidInput } from '../shared/app-error.js';

/** The brand a page or mail is shown in: the list's fields where it has them, else the shop's. Pure. */
export interface Brand {
  name: string | undefined;
  logo: string | undefined;
  accent: string;
  shopUrl: string | undefined;
  privacyUrl: string | undefined;
  address: string | undefined;
}

export const DEFAULT_ACCENT = '#1d4ed8';

export const BRAND_KEYS = ['name', 'logo', 'accent', 'shopUrl', 'privacyUrl', 'address'] as const;
export type BrandKey = (typeof BRAND_KEYS)[number];

/** The list's overrides over the shop's brand; the list's name when neither names the shop. */
export function resolveBrand(shop: BrandSettings, list: BrandSettings): Brand {
  return {
    name: list.name ?? shop.name,
    logo: list.logo ?? shop.logo,
    accent: list.accent ?? shop.accent ?? DEFAULT_ACCENT,
    shopUrl: list.shopUrl ?? shop.shopUrl,
    privacyUrl: list.privacyUrl ?? shop.privacyUrl,
    address: list.address ?? shop.address,
  };
}

const listBrandSchema = z
  .object({
    name: BRAND_FIELDS.name.optional(),
    logo: BRAND_FIELDS.logo.optional(),
    accent: BRAND_FIELDS.accent.optional(),
    shopUrl: BRAND_FIELDS.shopUrl.optional(),
    privacyUrl: BRAND_FIELDS.privacyUrl.optional(),
    address: BRAND_FIELDS.address.optional(),
  })
  .strict();

const LABELS: Record<BrandKey, string> = {
  name: 'The brand name',
  logo: 'The logo',
  accent: 'The accent colour',
  shopUrl: 'The shop URL',
  privacyUrl: 'The privacy policy URL',
  address: 'The postal address',
};

/**
 * A list's brand change: each field a value, or null / "" to use the shop's again. Returns the
 * list's new overrides; a bad value is a sentence naming the field.
 */
export function applyListBrand(current: BrandSettings, change: unknown): BrandSettings {
  if (typeof change !== 'object' || change === null || Array.isArray(change))
    throw invalidInput('The brand must be an object of name, logo, accent, shopUrl, privacyUrl and address.');
  const next: Record<string, string | undefined> = { ...current };
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(change)) {
    if (!(BRAND_KEYS as readonly string[]).includes(key))
      throw invalidInput(`The brand has no field "${key.slice(0, 40)}"; use ${BRAND_KEYS.join(', ')}.`);
    if (value === null || value === '') delete next[key];
    else if (value !== undefined) values[key] = value;
  }
  const parsed = listBrandSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '') as BrandKey;
    throw invalidInput(`${LABELS[key] ?? 'The brand'} ${issue?.message ?? 'is not valid'}.`, { field: key });
  }
  for (const [key, value] of Object.entries(parsed.data)) if (value !== undefined) next[key] = value;
  return next;
}

/** A list's stored overrides (the `brand` column's JSON), ignoring anything no longer valid. */
export function listBrandOf(json: string): BrandSettings {
  try {
    const parsed = listBrandSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG contrast ratio of two `#rrggbb` colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The text colour on an accent-coloured button: white or black, whichever reads better (at least 4.58:1 for any accent). */
export function textOn(accent: string): string {
  return contrast(accent, '#ffffff') >= contrast(accent, '#000000') ? '#ffffff' : '#000000';
}

/** The size a logo is shown at: at most 48 pixels high and 200 wide, keeping its proportions. */
export function logoBox(size: { width: number; height: number }): { width: number; height: number } {
  const scale = Math.min(1, 48 / size.height, 200 / size.width);
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

/** What templates get as `brand`. */
export interface BrandData {
  name: string;
  logo_url: string;
  logo_width: number;
  logo_height: number;
  accent: string;
  accent_text: string;
  shop_url: string;
  privacy_url: string;
  address: string;
}

/** The brand as template values; the logo as an absolute URL on our origin (mail needs absolute URLs). */
export function brandData(
  brand: Brand,
  publicUrl: string,
  logo?: { width: number; height: number },
  fallbackName = '',
): BrandData {
  const box = logo ? logoBox(logo) : { width: 0, height: 0 };
  return {
    name: brand.name ?? fallbackName,
    logo_url: brand.logo && logo ? `${publicUrl}/brand/${brand.logo}` : '',
    logo_width: box.width,
    logo_height: box.height,
    accent: brand.accent,
    accent_text: textOn(brand.accent),
    shop_url: brand.shopUrl ?? '',
    privacy_url: brand.privacyUrl ?? '',
    address: brand.address ?? '',
  };
}
