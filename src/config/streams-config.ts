import { z } from 'zod';

/**
 * Settings of the shop streams (issue 16): the sender of transactional mail, and the shop
 * integrations' secrets and lists. Secrets are masked wherever settings are shown. Pure.
 */
export interface StreamSettings {
  tx: {
    /** The sender when neither the request nor the template names one. */
    from: string | undefined;
  };
  shopify: { secret: string | undefined; list: string | undefined };
  woocommerce: { secret: string | undefined; list: string | undefined; consentField: string | undefined };
  /** An endpoint whose every delivery failed this long is turned off. */
  webhookDisableAfterMs: number;
}

const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must be one line of text');
const slug = z
  .string()
  .trim()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'must be the slug of a list (lower-case letters, digits, dashes)');
const shopSecret = z.string().trim().min(8, 'must be at least 8 characters (copy it from the shop)').max(500);

export const streamVariables = {
  LISTWARDEN_TX_FROM: line(400).optional(),
  LISTWARDEN_SHOPIFY_SECRET: shopSecret.optional(),
  LISTWARDEN_SHOPIFY_LIST: slug.optional(),
  LISTWARDEN_WOOCOMMERCE_SECRET: shopSecret.optional(),
  LISTWARDEN_WOOCOMMERCE_LIST: slug.optional(),
  LISTWARDEN_WOOCOMMERCE_CONSENT_FIELD: z
    .string()
    .trim()
    .regex(/^[\w.-]{1,100}$/, 'must be a field or meta_data key name (letters, digits, _ . -)')
    .optional(),
  LISTWARDEN_WEBHOOK_DISABLE_AFTER_DAYS: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(30, 'must be at most 30')
    .default(3),
};

type StreamVariables = { [K in keyof typeof streamVariables]?: z.output<(typeof streamVariables)[K]> };

export function streamsOfVariables(e: StreamVariables): StreamSettings {
  return {
    tx: { from: e.LISTWARDEN_TX_FROM },
    shopify: { secret: e.LISTWARDEN_SHOPIFY_SECRET, list: e.LISTWARDEN_SHOPIFY_LIST },
    woocommerce: {
      secret: e.LISTWARDEN_WOOCOMMERCE_SECRET,
      list: e.LISTWARDEN_WOOCOMMERCE_LIST,
      consentField: e.LISTWARDEN_WOOCOMMERCE_CONSENT_FIELD,
    },
    webhookDisableAfterMs: (e.LISTWARDEN_WEBHOOK_DISABLE_AFTER_DAYS ?? 3) * 86_400_000,
  };
}
