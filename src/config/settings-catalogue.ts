/**
 * The settings that live in the database (`listwarden settings …`, `/api/v1/settings`): snake_case
 * keys, dotted for groups, each with the environment variable that may override it. The
 * environment keeps only what is needed to boot (database URL, host and port, secret, data
 * directory, log level) and the credentials (SMTP and IMAP URLs, DKIM key files). One schema
 * validates both: a stored value goes through the same checks as its variable (config.ts). Pure.
 */
export const SETTINGS = {
  postal_address: { env: 'LISTWARDEN_POSTAL_ADDRESS', help: 'postal address in the footer of every campaign' },
  'brand.name': { env: 'LISTWARDEN_BRAND_NAME', help: 'the shop name on public pages and system mail' },
  'brand.logo': { env: 'LISTWARDEN_BRAND_LOGO', help: 'the logo: give an image file (PNG, JPEG, GIF, WebP)' },
  'brand.accent': { env: 'LISTWARDEN_BRAND_ACCENT', help: 'accent colour of buttons, e.g. #1d4ed8' },
  'brand.shop_url': { env: 'LISTWARDEN_BRAND_SHOP_URL', help: 'the shop the pages lead back to' },
  'brand.privacy_url': { env: 'LISTWARDEN_BRAND_PRIVACY_URL', help: 'the privacy policy linked from every page' },
  public_url: { env: 'LISTWARDEN_PUBLIC_URL', help: 'the URL links in mail point to' },
  bounce_domain: { env: 'LISTWARDEN_BOUNCE_DOMAIN', help: 'domain of the VERP return path' },
  admin_email: { env: 'LISTWARDEN_ADMIN_EMAIL', help: 'where owner alerts go' },
  test_addresses: { env: 'LISTWARDEN_TEST_ADDRESSES', help: 'comma-separated addresses for test copies' },
  sending_ips: { env: 'LISTWARDEN_SENDING_IPS', help: 'comma-separated sending IPs the blocklist watch checks' },
  send_rate: { env: 'LISTWARDEN_SEND_RATE', help: 'campaign messages per second (0: no limit)' },
  destination_rate: { env: 'LISTWARDEN_DESTINATION_RATE', help: 'campaign messages per second per destination' },
  warmup: { env: 'LISTWARDEN_WARMUP', help: '"start,factor": daily cap of a new sender' },
  'guard.complaint_rate': { env: 'LISTWARDEN_GUARD_COMPLAINT_RATE', help: 'complaint rate that stops a campaign' },
  'guard.bounce_rate': { env: 'LISTWARDEN_GUARD_BOUNCE_RATE', help: 'hard-bounce rate that stops a campaign' },
  'guard.min_deliveries': { env: 'LISTWARDEN_GUARD_MIN_DELIVERIES', help: 'deliveries before rates are judged' },
  'guard.window_hours': { env: 'LISTWARDEN_GUARD_WINDOW_HOURS', help: 'per-domain window of the rates' },
  'guard.deferrals': { env: 'LISTWARDEN_GUARD_DEFERRALS', help: '4xx burst from one destination that stops' },
  'guard.deferral_minutes': { env: 'LISTWARDEN_GUARD_DEFERRAL_MINUTES', help: 'window of that burst' },
  'guard.refusals': { env: 'LISTWARDEN_GUARD_REFUSALS', help: 'refusals about us from one provider that stop' },
  'spam.spamd': { env: 'LISTWARDEN_SPAMD', help: 'spamd host:port for pre-send checks' },
  'spam.rspamd_url': { env: 'LISTWARDEN_RSPAMD_URL', help: 'rspamd base URL for pre-send checks' },
  'spam.threshold': { env: 'LISTWARDEN_SPAM_THRESHOLD', help: 'spam score that refuses a send' },
  'dnsbl.zones': { env: 'LISTWARDEN_DNSBL_ZONES', help: 'comma-separated DNSBL zones for IP checks' },
  'dnsbl.blocking_zones': { env: 'LISTWARDEN_DNSBL_BLOCKING_ZONES', help: 'zones whose listing pauses campaigns' },
  'reputation.interval_minutes': { env: 'LISTWARDEN_REPUTATION_INTERVAL_MINUTES', help: 'blocklist watch interval' },
  'reputation.range': { env: 'LISTWARDEN_REPUTATION_RANGE', help: 'neighbourhood prefix length' },
  'audit.interval_minutes': { env: 'LISTWARDEN_AUDIT_INTERVAL_MINUTES', help: 'spambot check interval (0: off)' },
  templates_dir: { env: 'LISTWARDEN_TEMPLATES_DIR', help: 'folder of page and mail template overrides' },
  layouts_dir: { env: 'LISTWARDEN_LAYOUTS_DIR', help: 'folder of layouts campaign templates may name' },
  'soft_bounce.limit': { env: 'LISTWARDEN_SOFT_BOUNCE_LIMIT', help: 'soft bounces that suppress an address' },
  'soft_bounce.days': { env: 'LISTWARDEN_SOFT_BOUNCE_DAYS', help: 'within this many days' },
  'confirm.per_mailbox': { env: 'LISTWARDEN_CONFIRM_PER_MAILBOX', help: 'confirmation mails per inbox a day' },
  'confirm.domain_per_hour': {
    env: 'LISTWARDEN_CONFIRM_DOMAIN_PER_HOUR',
    help: 'confirmation mails per domain an hour',
  },
  verify_domains: { env: 'LISTWARDEN_VERIFY_DOMAINS', help: 'check signup domains in DNS (true/false)' },
  signup_rate_limit: { env: 'LISTWARDEN_SIGNUP_RATE_LIMIT', help: 'signups per IP, e.g. 20/minute' },
  'tx.from': { env: 'LISTWARDEN_TX_FROM', help: 'sender of transactional mail, e.g. "Shop <orders@shop.example>"' },
  'tx.smtp_url': {
    env: 'LISTWARDEN_TX_SMTP_URL',
    help: 'own relay of transactional mail (smtp:// or smtps://); the main one when unset',
    secret: true,
  },
  'shopify.secret': {
    env: 'LISTWARDEN_SHOPIFY_SECRET',
    help: "the Shopify app's client secret (webhook HMAC)",
    secret: true,
  },
  'shopify.list': { env: 'LISTWARDEN_SHOPIFY_LIST', help: 'the list Shopify customers join (its slug)' },
  'woocommerce.secret': {
    env: 'LISTWARDEN_WOOCOMMERCE_SECRET',
    help: "the WooCommerce webhooks' secret",
    secret: true,
  },
  'woocommerce.list': { env: 'LISTWARDEN_WOOCOMMERCE_LIST', help: 'the list WooCommerce customers join (its slug)' },
  'woocommerce.consent_field': {
    env: 'LISTWARDEN_WOOCOMMERCE_CONSENT_FIELD',
    help: 'the customer field or meta_data key of the newsletter box',
  },
  'webhooks.disable_after_days': {
    env: 'LISTWARDEN_WEBHOOK_DISABLE_AFTER_DAYS',
    help: 'days of failures after which a webhook endpoint is turned off',
  },
} as const satisfies Record<string, { env: string; help: string; secret?: true }>;

/** Whether a setting's value is a secret: never shown, never kept in the change history. */
export function isSecretSetting(key: SettingKey): boolean {
  return (SETTINGS[key] as { secret?: true }).secret === true;
}

export type SettingKey = keyof typeof SETTINGS;

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

/** Stored settings as the environment variables they stand for (the config schema reads those). */
export function asEnvironment(stored: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(stored)) if (isSettingKey(key)) env[SETTINGS[key].env] = value;
  return env;
}
