import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Incoming shop webhooks, read at the boundary: signatures as Shopify and WooCommerce write them,
 * the replay window, and the customer fields we use. Pure.
 *
 * - Shopify: `X-Shopify-Hmac-Sha256` is base64 of HMAC-SHA256 over the raw body with the app's
 *   client secret; `X-Shopify-Topic`, `X-Shopify-Triggered-At` (ISO time), `X-Shopify-Event-Id`
 *   (the same on every retry of one event) and `X-Shopify-Webhook-Id` (one delivery).
 * - WooCommerce: `X-WC-Webhook-Signature` is base64 of HMAC-SHA256 over the raw body with the
 *   webhook's secret; `X-WC-Webhook-Topic` (`customer.created`), `X-WC-Webhook-Delivery-ID`. It
 *   sends no time header: the customer's `date_modified_gmt` is the time.
 */

/**
 * A customer change whose time (in the signed body) is older than this, or this far in the future,
 * is refused. Only what the signature covers is trusted: the body. Headers (delivery ids, Shopify's
 * Triggered-At, the topic) can be changed by whoever replays a captured body.
 */
export const REPLAY_WINDOW_MS = 72 * 3_600_000;
/**
 * How long the hashes of applied bodies are kept: longer than the window, and long enough for the
 * privacy webhooks, whose bodies carry no time.
 */
export const KEEP_DELIVERY_IDS_MS = 30 * 86_400_000;

/** Base64 HMAC-SHA256 of the raw body, compared in constant time. */
export function verifyBase64Hmac(secret: string, raw: Buffer, header: string | undefined): boolean {
  if (!secret || !header || header.length > 200) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(header.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether a delivery's time is inside the replay window. */
export function withinWindow(at: number | undefined, now: number): boolean {
  return at !== undefined && Number.isFinite(at) && Math.abs(now - at) <= REPLAY_WINDOW_MS;
}

/** An ISO time or a WooCommerce GMT time without zone (`2026-11-30T10:00:00`), as epoch ms. */
export function parseTime(value: unknown, assumeUtc = false): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const text = assumeUtc && !/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? `${value}Z` : value;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** The customer fields we use, from either shop. */
export interface ShopCustomer {
  id: string;
  email: string | undefined;
  name: string | undefined;
}

function str(value: unknown, max = 320): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined;
}

function idOf(value: unknown): string | undefined {
  // Shopify's ids can pass 2^53 (JSON numbers lose the last digits): the id is only kept as evidence.
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return BigInt(value).toString();
  return typeof value === 'string' && /^[\w:/.-]{1,100}$/.test(value) ? value : undefined;
}

function nameOf(first: unknown, last: unknown): string | undefined {
  const parts = [str(first, 100), str(last, 100)].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** What Shopify's `email_marketing_consent` asks of us. */
export type ShopifyConsentAction =
  | { action: 'double_opt_in' }
  | { action: 'confirmed'; confirmedAt: number; level: string }
  | { action: 'unsubscribe' }
  | { action: 'none'; why: string };

export interface ShopifyCustomer extends ShopCustomer {
  consent: ShopifyConsentAction;
  /** The customer's `updated_at`: the time of this state, signed with the body. */
  updatedAt: number | undefined;
}

/**
 * `customers/create` and `customers/update`: a customer who ticked the box (`subscribed`, single
 * opt-in or unknown level) starts our double opt-in; one Shopify confirmed (`confirmed_opt_in`)
 * is recorded with that proof; `unsubscribed` leaves the list; `pending` (Shopify's own
 * confirmation is under way), `not_subscribed` and anything else change nothing.
 */
export function readShopifyCustomer(body: unknown): ShopifyCustomer | { error: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: 'The body is not a customer object.' };
  const c = body as Record<string, unknown>;
  const id = idOf(c.id);
  if (!id) return { error: 'The customer has no id.' };
  const customer = {
    id,
    email: str(c.email),
    name: nameOf(c.first_name, c.last_name),
    updatedAt: parseTime(c.updated_at) ?? parseTime(c.created_at),
  };
  const consent = c.email_marketing_consent;
  if (!consent || typeof consent !== 'object')
    return { ...customer, consent: { action: 'none', why: 'no email_marketing_consent' } };
  const { state, opt_in_level: level, consent_updated_at: updatedAt } = consent as Record<string, unknown>;
  if (state === 'subscribed') {
    if (level === 'confirmed_opt_in') {
      const confirmedAt = parseTime(updatedAt);
      if (confirmedAt === undefined) return { ...customer, consent: { action: 'double_opt_in' } }; // A proof without a time is no proof.
      return { ...customer, consent: { action: 'confirmed', confirmedAt, level: 'confirmed_opt_in' } };
    }
    return { ...customer, consent: { action: 'double_opt_in' } };
  }
  if (state === 'unsubscribed') return { ...customer, consent: { action: 'unsubscribe' } };
  return { ...customer, consent: { action: 'none', why: `marketing consent is ${String(state).slice(0, 40)}` } };
}

/**
 * `customers/redact` and `customers/data_request`: the customer named by the privacy webhook. The
 * body must be the topic's own shape (a redact carries `orders_to_redact`, a data request its
 * `data_request`), so one topic's signed body cannot be replayed as the other.
 */
export function readShopifyPrivacyRequest(
  body: unknown,
  topic: 'customers/redact' | 'customers/data_request',
): (ShopCustomer & { shopDomain: string | undefined }) | { error: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: 'The body is not an object.' };
  const b = body as Record<string, unknown>;
  if (topic === 'customers/redact' && !Array.isArray(b.orders_to_redact))
    return { error: 'A customers/redact body carries orders_to_redact.' };
  if (topic === 'customers/data_request' && (!b.data_request || typeof b.data_request !== 'object'))
    return { error: 'A customers/data_request body carries data_request.' };
  const customer = b.customer;
  if (!customer || typeof customer !== 'object') return { error: 'The body names no customer.' };
  const c = customer as Record<string, unknown>;
  const id = idOf(c.id);
  if (!id) return { error: 'The customer has no id.' };
  return { id, email: str(c.email), name: undefined, shopDomain: str(b.shop_domain, 100) };
}

const YES = new Set(['yes', 'true', '1', 'on', 'subscribed', 'checked']);
const NO = new Set(['no', 'false', '0', 'off', '', 'unsubscribed', 'unchecked']);

export interface WooCustomer extends ShopCustomer {
  /** The consent field: true (ticked), false (unticked), undefined (not in this payload). */
  consent: boolean | undefined;
  modifiedAt: number | undefined;
}

/**
 * `customer.created` and `customer.updated`: the consent field named in settings, a top-level
 * field or a `meta_data` key (where checkout plugins keep their box).
 */
export function readWooCustomer(body: unknown, consentField: string): WooCustomer | { error: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: 'The body is not a customer object.' };
  const c = body as Record<string, unknown>;
  const id = idOf(c.id);
  if (!id) return { error: 'The customer has no id.' };
  let value: unknown = Object.hasOwn(c, consentField) ? c[consentField] : undefined;
  if (value === undefined && Array.isArray(c.meta_data)) {
    const meta = (c.meta_data as unknown[]).find(
      (m) => m && typeof m === 'object' && (m as Record<string, unknown>).key === consentField,
    ) as Record<string, unknown> | undefined;
    value = meta?.value;
  }
  const text = typeof value === 'boolean' || typeof value === 'number' ? String(value) : value;
  const consent =
    typeof text === 'string'
      ? YES.has(text.trim().toLowerCase())
        ? true
        : NO.has(text.trim().toLowerCase())
          ? false
          : undefined
      : undefined;
  return {
    id,
    email: str(c.email),
    name: nameOf(c.first_name, c.last_name),
    consent,
    modifiedAt: parseTime(c.date_modified_gmt, true) ?? parseTime(c.date_created_gmt, true),
  };
}
