import { DATABASE_URL_FORMAT, defaultDatabaseUrl } from './database-location.js';
import { DNS_NAME, HOST_PORT } from '../shared/dns-names.js';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { imapSettings, parseImapUrl, type ImapSettings } from './imap-url.js';
import { brandOfVariables, brandVariables, type BrandSettings } from './brand-config.js';
import { streamsOfVariables, streamVariables, type StreamSettings } from './streams-config.js';
import { dkimOfVariables, dkimVariables } from './dkim-config.js';
import { asEnvironment, SETTINGS } from './settings-catalogue.js';

function settingOfVariable(variable: string): string | undefined {
  return Object.entries(SETTINGS).find(([, s]) => s.env === variable)?.[0];
}
import { z } from 'zod';
import { AppError } from '../shared/app-error.js';

/** The validated boot configuration; built once by `loadConfig` and passed down. */
export interface Config {
  /** The LISTWARDEN_* variables this configuration was read from (they override stored settings). */
  environment: Readonly<Record<string, string>>;
  /** Settings stored in the database (`listwarden settings`), by key, as they were merged in. */
  storedSettings: Readonly<Record<string, string>>;
  databaseUrl: string;
  /** LISTWARDEN_DATABASE_URL was set (not the default). */
  databaseUrlGiven: boolean;
  publicUrl: string;
  host: string;
  port: number;
  dataDir: string;
  /** Explicit secret from the environment; when absent `resolveSecrets` uses ./data/secret. */
  secret: string | undefined;
  previousSecrets: string[];
  smtpUrl: string;
  /** The transactional stream's own relay (`tx.smtp_url`); the main one when unset. */
  txSmtpUrl: string | undefined;
  /** Transactional sender, shop integrations, webhook endpoints' patience (settings `tx.*`, `shopify.*`, `woocommerce.*`). */
  streams: StreamSettings;
  dkim:
    { domain: string; selector: string; keyFile: string; ed25519?: { selector: string; keyFile: string } } | undefined;
  postalAddress: string | undefined;
  /** The shop-wide brand (settings `brand.*`; the address is `postal_address`). */
  brand: BrandSettings;
  inboundPort: number;
  inboundHost: string;
  inboundMaxBytes: number;
  /** What one client may hold of the inbound listener. */
  inboundLimits: { perClient: number; perNetwork: number; idleMs: number; sessionMs: number; dataMs: number };
  /** Owner alerts (circuit breaker) go here; unset means log lines only. */
  adminEmail: string | undefined;
  /** Confirmation mails to one mailbox (all lists, +tags, Gmail dots) per day, for outside signups. */
  confirmationPerMailboxPerDay: number;
  /** Confirmation mails to one recipient domain per hour; more are delayed, never dropped. */
  confirmationPerDomainPerHour: number;
  /** Where test copies of a campaign may go (besides the admin address and the list's confirmed members). */
  testAddresses: readonly string[];
  /** The owner's folder of Liquid layouts that campaign templates may `include`/`render`/`layout`. */
  layoutsDir: string | undefined;
  /** The sender id in every campaign's Feedback-ID header. */
  feedbackSenderId: string;
  softBounces: { limit: number; windowMs: number };
  reputation: {
    /** Our sending IPs: the monitor watches them and their ranges. */
    sendingIps: string[];
    range: number;
    zones: string[] | undefined;
    dqsKey: string | undefined;
    concurrency: number;
    blockingZones: string[] | undefined;
    intervalMs: number;
    /** Domain blocklists for links; an empty list turns the link check off. */
    domainZones: string[] | undefined;
  };
  /** Spam scorer for pre-send checks. */
  spamScorer: { spamd: string | undefined; rspamdUrl: string | undefined; threshold: number | undefined };
  /**
   * Host audit: the MTA to probe for open relaying, how many foreign messages count as a spam run,
   * how often `serve` runs the spambot check (0: never).
   */
  audit: { mta: string; foreignLimit: number; intervalMs: number; postfixConfig: string | undefined };
  /** A mailbox to poll for bounces and complaints (LISTWARDEN_IMAP_URL), if any. */
  imap: { settings: ImapSettings; intervalMs: number } | undefined;
  guard: {
    complaintRate: number;
    hardBounceRate: number;
    minDeliveries: number;
    windowMs: number;
    deferralBurst: number;
    deferralWindowMs: number;
    refusalBurst: number;
  };
  bounceDomain: string | undefined;
  dnsServers: string[];
  dnsTimeoutMs: number;
  verifyDomains: boolean;
  templatesDir: string;
  signupRateLimit: { max: number; windowMs: number };
  confirmTokenTtlMs: number;
  pendingTtlMs: number;
  repermissionPerHour: number;
  trustProxy: boolean;
  outbox: { leaseMs: number; retryBaseMs: number; concurrency: number; batchSize: number };
  pacing: { globalRate: number; destinationRate: number; warmup: { start: number; factor: number } | undefined };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty` for people, `json` for machines; unset: pretty on a terminal, JSON otherwise. */
  logFormat: 'json' | 'pretty' | undefined;
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: DAY_MS };

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int('must be a whole number').min(0).max(65535, 'must be a port number (0-65535)');
const positiveInt = z.coerce.number().int('must be a whole number').positive('must be above zero');

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  // A password in a URL would be shown wherever the URL is (and fetch refuses such URLs anyway).
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.username === '' && u.password === '';
    } catch {
      return true;
    }
  }, 'must not carry a user name or password (user:password@)')
  .transform((v) => v.replace(/\/+$/, ''));

const hostPort = z.string().trim().regex(HOST_PORT, 'must be host or host:port');

/** A comma-separated list of DNS zones, lower-cased. */
const zoneList = (message: string) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(DNS_NAME, message)));

const dnsServers = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(hostPort));

const rate = z
  .string()
  .trim()
  .regex(/^\d+\s*\/\s*(second|minute|hour|day)$/, 'must look like "20/minute"')
  .transform((v) => {
    const [count, unit] = v.split('/').map((s) => s.trim());
    return { max: Number(count), windowMs: UNIT_MS[unit as string] as number };
  })
  .refine((r) => r.max > 0, 'must allow at least one request');

const databaseUrl = z
  .string()
  .trim()
  .refine((v) => DATABASE_URL_FORMAT.test(v), 'must start with sqlite: or postgres://');

const smtpUrl = z
  .string()
  .trim()
  .refine((v) => /^capture:.+/.test(v) || /^smtps?:\/\/.+/.test(v), 'must be capture:<dir>, smtp://… or smtps://…');

const secret = z.string().min(32, 'must be at least 32 characters (use `openssl rand -base64 48`)');

const schema = z.object({
  // Without it: `sqlite:<LISTWARDEN_DATA_DIR>/listwarden.db` (see below).
  LISTWARDEN_DATABASE_URL: databaseUrl.optional(),
  LISTWARDEN_PUBLIC_URL: httpUrl.default('http://localhost:8080'),
  LISTWARDEN_HOST: z.string().trim().min(1).default('127.0.0.1'),
  LISTWARDEN_PORT: port.default(8080),
  LISTWARDEN_DATA_DIR: z.string().trim().min(1).default('./data'),
  LISTWARDEN_SECRET: secret.optional(),
  LISTWARDEN_PREVIOUS_SECRETS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(secret))
    .default([]),
  LISTWARDEN_SMTP_URL: smtpUrl.default('capture:./data/outbox'),
  LISTWARDEN_TX_SMTP_URL: smtpUrl.optional(),
  ...streamVariables,
  ...dkimVariables,
  LISTWARDEN_POSTAL_ADDRESS: z.string().trim().min(1).optional(),
  ...brandVariables,
  LISTWARDEN_INBOUND_PORT: port.default(2525),
  LISTWARDEN_INBOUND_HOST: z.string().trim().min(1).default('127.0.0.1'),
  LISTWARDEN_INBOUND_PER_CLIENT: positiveInt.max(1000, 'must be at most 1000').default(10),
  LISTWARDEN_INBOUND_PER_NETWORK: positiveInt.max(1000, 'must be at most 1000').default(50),
  LISTWARDEN_INBOUND_IDLE_SECONDS: positiveInt.max(3600, 'must be at most 3600').default(30),
  LISTWARDEN_INBOUND_SESSION_SECONDS: positiveInt.max(86_400, 'must be at most 86400').default(300),
  LISTWARDEN_INBOUND_DATA_SECONDS: positiveInt.max(3600, 'must be at most 3600').default(60),
  LISTWARDEN_INBOUND_MAX_BYTES: positiveInt.max(50 * 1024 * 1024, 'must be at most 52428800').default(10 * 1024 * 1024),
  LISTWARDEN_ADMIN_EMAIL: z
    .string()
    .trim()
    .regex(/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/, 'must be one email address, e.g. owner@shop.example')
    .optional(),
  LISTWARDEN_TEST_ADDRESSES: z
    .string()
    .trim()
    .transform((value, ctx) => {
      const addresses = value
        .split(',')
        .map((a) => a.trim().toLowerCase())
        .filter((a) => a !== '');
      for (const address of addresses) {
        if (!/^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$/.test(address)) {
          ctx.addIssue({ code: 'custom', message: `"${address.slice(0, 80)}" is not one email address` });
        }
      }
      return addresses;
    })
    .optional(),
  LISTWARDEN_LAYOUTS_DIR: z.string().trim().min(1).optional(),
  LISTWARDEN_FEEDBACK_SENDER_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1 to 40 letters, digits, dots, dashes or underscores')
    .default('listwarden'),
  LISTWARDEN_SENDING_IPS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().refine((ip) => isIP(ip) !== 0, 'must be comma-separated IP addresses')))
    .default([]),
  LISTWARDEN_REPUTATION_RANGE: z.coerce
    .number()
    .int('must be a whole number')
    .min(16, 'must be a prefix from 16 to 32')
    .max(32, 'must be a prefix from 16 to 32')
    .default(24),
  LISTWARDEN_DNSBL_ZONES: zoneList('must be comma-separated DNS zones').optional(),
  LISTWARDEN_DNSBL_BLOCKING_ZONES: zoneList('must be comma-separated DNS zones').optional(),
  LISTWARDEN_REPUTATION_INTERVAL_MINUTES: positiveInt.default(60),
  LISTWARDEN_DOMAIN_ZONES: zoneList(
    'must be comma-separated DNS zones, or empty to turn the link check off',
  ).optional(),
  LISTWARDEN_SPAMD: hostPort.optional(),
  LISTWARDEN_RSPAMD_URL: httpUrl.optional(),
  LISTWARDEN_SPAM_THRESHOLD: z.coerce.number().positive('must be a score above zero, e.g. 5').optional(),
  LISTWARDEN_SPAMHAUS_DQS_KEY: z
    .string()
    .trim()
    .regex(/^[a-z0-9]{10,64}$/, 'must be the key from your Spamhaus DQS account')
    .optional(),
  LISTWARDEN_DNSBL_CONCURRENCY: positiveInt.max(1000, 'must be at most 1000').default(64),
  LISTWARDEN_IMAP_URL: z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const parsed = parseImapUrl(v);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
    })
    .optional(),
  LISTWARDEN_IMAP_INTERVAL_SECONDS: positiveInt.default(60),
  LISTWARDEN_AUDIT_MTA: z.string().trim().regex(HOST_PORT, 'must be host:port').default('127.0.0.1:25'),
  LISTWARDEN_AUDIT_FOREIGN_LIMIT: z.coerce.number().int('must be a whole number').min(0).default(20),
  LISTWARDEN_AUDIT_POSTFIX_CONFIG: z
    .string()
    .trim()
    .regex(/^\/[^\0]*$/, 'must be an absolute directory, e.g. /etc/postfix-out')
    .optional(),
  LISTWARDEN_AUDIT_INTERVAL_MINUTES: z.coerce
    .number()
    .int('must be a whole number of minutes')
    .min(0, 'must be 0 (off) or more minutes')
    .default(10),
  LISTWARDEN_IMAP_DONE_FOLDER: z.string().trim().min(1).max(200).optional(),
  LISTWARDEN_SOFT_BOUNCE_LIMIT: positiveInt.default(3),
  LISTWARDEN_SOFT_BOUNCE_DAYS: positiveInt.default(14),
  LISTWARDEN_GUARD_COMPLAINT_RATE: z.coerce
    .number()
    .gt(0, 'must be above 0')
    .lt(1, 'must be below 1 (0.001 is 0.1%)')
    .default(0.001),
  LISTWARDEN_GUARD_BOUNCE_RATE: z.coerce
    .number()
    .gt(0, 'must be above 0')
    .lt(1, 'must be below 1 (0.02 is 2%)')
    .default(0.02),
  LISTWARDEN_GUARD_MIN_DELIVERIES: positiveInt.default(1000),
  LISTWARDEN_GUARD_WINDOW_HOURS: positiveInt.default(24),
  LISTWARDEN_GUARD_DEFERRALS: positiveInt.default(100),
  LISTWARDEN_GUARD_DEFERRAL_MINUTES: positiveInt.default(10),
  LISTWARDEN_GUARD_REFUSALS: positiveInt.default(20),
  LISTWARDEN_BOUNCE_DOMAIN: z.string().trim().toLowerCase().min(1).optional(),
  LISTWARDEN_DNS_SERVERS: dnsServers.default([]),
  LISTWARDEN_DNS_TIMEOUT_MS: positiveInt.max(30_000, 'must be at most 30000').default(2000),
  LISTWARDEN_VERIFY_DOMAINS: bool.default(true),
  LISTWARDEN_TEMPLATES_DIR: z.string().trim().min(1).default('./templates'),
  LISTWARDEN_SIGNUP_RATE_LIMIT: rate.default({ max: 20, windowMs: 60_000 }),
  LISTWARDEN_CONFIRM_TTL_DAYS: positiveInt.default(7),
  LISTWARDEN_CONFIRM_PER_MAILBOX: positiveInt.max(100, 'must be at most 100').default(3),
  LISTWARDEN_CONFIRM_DOMAIN_PER_HOUR: positiveInt.default(600),
  LISTWARDEN_PENDING_TTL_DAYS: positiveInt.default(30),
  LISTWARDEN_REPERMISSION_PER_HOUR: positiveInt.default(1000),
  LISTWARDEN_TRUST_PROXY: bool.default(false),
  LISTWARDEN_OUTBOX_LEASE_SECONDS: positiveInt.default(120),
  LISTWARDEN_RETRY_BASE_SECONDS: positiveInt.default(30),
  LISTWARDEN_OUTBOX_CONCURRENCY: positiveInt.max(1000, 'must be at most 1000').default(10),
  LISTWARDEN_OUTBOX_BATCH: positiveInt.max(10_000, 'must be at most 10000').default(100),
  LISTWARDEN_SEND_RATE: z.coerce.number().nonnegative('must be 0 (no limit) or more').default(0),
  LISTWARDEN_DESTINATION_RATE: z.coerce.number().positive('must be above zero').default(50),
  LISTWARDEN_WARMUP: z
    .string()
    .trim()
    .regex(/^\d+\s*,\s*\d+(\.\d+)?$/, 'must be "start,factor", e.g. "1000,2" (1000 on the first day, doubling daily)')
    .transform((v) => {
      const [start, factor] = v.split(',').map((p) => Number(p.trim()));
      return { start: start as number, factor: factor as number };
    })
    .optional(),
  LISTWARDEN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LISTWARDEN_LOG_FORMAT: z.enum(['json', 'pretty'], { message: 'must be json or pretty' }).optional(),
});

/**
 * Reads and validates the environment once; the only place that looks at `process.env`.
 * The configuration from the environment and the settings stored in the database: a variable
 * set in the environment overrides the stored setting (`settings list` shows which).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv | Readonly<Record<string, string>> = process.env,
  stored: Readonly<Record<string, string>> = {},
): Config {
  const environment: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') environment[key] = value;
  }
  const relevant: Record<string, string> = { ...asEnvironment(stored), ...environment };
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'configuration');
    // A stored setting is named by its key, a variable by its name.
    const key = environment[variable] === undefined ? settingOfVariable(variable) : undefined;
    const name = key ? `The setting ${key}` : variable;
    // Never echo the value of a secret back.
    const shown = /SECRET|IMAP_URL|SMTP_URL|DQS_KEY/.test(variable)
      ? ''
      : ` (got "${String(relevant[variable] ?? '').slice(0, 80)}")`;
    throw new AppError('invalid_input', `${name} ${issue?.message ?? 'is invalid'}${shown}.`);
  }
  const e = parsed.data;
  return {
    environment,
    storedSettings: { ...stored },
    databaseUrl: e.LISTWARDEN_DATABASE_URL ?? defaultDatabaseUrl(e.LISTWARDEN_DATA_DIR),
    databaseUrlGiven: relevant.LISTWARDEN_DATABASE_URL !== undefined,
    publicUrl: e.LISTWARDEN_PUBLIC_URL,
    host: e.LISTWARDEN_HOST,
    port: e.LISTWARDEN_PORT,
    dataDir: e.LISTWARDEN_DATA_DIR,
    secret: e.LISTWARDEN_SECRET,
    previousSecrets: e.LISTWARDEN_PREVIOUS_SECRETS,
    smtpUrl: e.LISTWARDEN_SMTP_URL,
    txSmtpUrl: e.LISTWARDEN_TX_SMTP_URL,
    streams: streamsOfVariables(e),
    dkim: dkimOfVariables(e),
    postalAddress: e.LISTWARDEN_POSTAL_ADDRESS,
    brand: brandOfVariables(e, e.LISTWARDEN_POSTAL_ADDRESS),
    inboundPort: e.LISTWARDEN_INBOUND_PORT,
    inboundHost: e.LISTWARDEN_INBOUND_HOST,
    inboundLimits: {
      perClient: e.LISTWARDEN_INBOUND_PER_CLIENT,
      perNetwork: e.LISTWARDEN_INBOUND_PER_NETWORK,
      idleMs: e.LISTWARDEN_INBOUND_IDLE_SECONDS * 1000,
      sessionMs: e.LISTWARDEN_INBOUND_SESSION_SECONDS * 1000,
      dataMs: e.LISTWARDEN_INBOUND_DATA_SECONDS * 1000,
    },
    inboundMaxBytes: e.LISTWARDEN_INBOUND_MAX_BYTES,
    adminEmail: e.LISTWARDEN_ADMIN_EMAIL,
    testAddresses: e.LISTWARDEN_TEST_ADDRESSES ?? [],
    layoutsDir: e.LISTWARDEN_LAYOUTS_DIR === undefined ? undefined : resolve(e.LISTWARDEN_LAYOUTS_DIR),
    feedbackSenderId: e.LISTWARDEN_FEEDBACK_SENDER_ID,
    softBounces: { limit: e.LISTWARDEN_SOFT_BOUNCE_LIMIT, windowMs: e.LISTWARDEN_SOFT_BOUNCE_DAYS * DAY_MS },
    reputation: {
      sendingIps: e.LISTWARDEN_SENDING_IPS,
      range: e.LISTWARDEN_REPUTATION_RANGE,
      zones: e.LISTWARDEN_DNSBL_ZONES,
      dqsKey: e.LISTWARDEN_SPAMHAUS_DQS_KEY,
      concurrency: e.LISTWARDEN_DNSBL_CONCURRENCY,
      blockingZones: e.LISTWARDEN_DNSBL_BLOCKING_ZONES,
      intervalMs: e.LISTWARDEN_REPUTATION_INTERVAL_MINUTES * 60_000,
      domainZones: e.LISTWARDEN_DOMAIN_ZONES,
    },
    spamScorer: {
      spamd: e.LISTWARDEN_SPAMD,
      rspamdUrl: e.LISTWARDEN_RSPAMD_URL,
      threshold: e.LISTWARDEN_SPAM_THRESHOLD,
    },
    audit: {
      mta: e.LISTWARDEN_AUDIT_MTA,
      foreignLimit: e.LISTWARDEN_AUDIT_FOREIGN_LIMIT,
      intervalMs: e.LISTWARDEN_AUDIT_INTERVAL_MINUTES * 60_000,
      postfixConfig: e.LISTWARDEN_AUDIT_POSTFIX_CONFIG,
    },
    imap: imapSettings(e.LISTWARDEN_IMAP_URL, e.LISTWARDEN_IMAP_DONE_FOLDER, e.LISTWARDEN_IMAP_INTERVAL_SECONDS),
    guard: {
      complaintRate: e.LISTWARDEN_GUARD_COMPLAINT_RATE,
      hardBounceRate: e.LISTWARDEN_GUARD_BOUNCE_RATE,
      minDeliveries: e.LISTWARDEN_GUARD_MIN_DELIVERIES,
      windowMs: e.LISTWARDEN_GUARD_WINDOW_HOURS * 3_600_000,
      deferralBurst: e.LISTWARDEN_GUARD_DEFERRALS,
      deferralWindowMs: e.LISTWARDEN_GUARD_DEFERRAL_MINUTES * 60_000,
      refusalBurst: e.LISTWARDEN_GUARD_REFUSALS,
    },
    bounceDomain: e.LISTWARDEN_BOUNCE_DOMAIN,
    dnsServers: e.LISTWARDEN_DNS_SERVERS,
    dnsTimeoutMs: e.LISTWARDEN_DNS_TIMEOUT_MS,
    verifyDomains: e.LISTWARDEN_VERIFY_DOMAINS,
    templatesDir: e.LISTWARDEN_TEMPLATES_DIR,
    signupRateLimit: e.LISTWARDEN_SIGNUP_RATE_LIMIT,
    confirmTokenTtlMs: e.LISTWARDEN_CONFIRM_TTL_DAYS * DAY_MS,
    confirmationPerMailboxPerDay: e.LISTWARDEN_CONFIRM_PER_MAILBOX,
    confirmationPerDomainPerHour: e.LISTWARDEN_CONFIRM_DOMAIN_PER_HOUR,
    pendingTtlMs: e.LISTWARDEN_PENDING_TTL_DAYS * DAY_MS,
    repermissionPerHour: e.LISTWARDEN_REPERMISSION_PER_HOUR,
    trustProxy: e.LISTWARDEN_TRUST_PROXY,
    outbox: {
      leaseMs: e.LISTWARDEN_OUTBOX_LEASE_SECONDS * 1000,
      retryBaseMs: e.LISTWARDEN_RETRY_BASE_SECONDS * 1000,
      concurrency: e.LISTWARDEN_OUTBOX_CONCURRENCY,
      batchSize: e.LISTWARDEN_OUTBOX_BATCH,
    },
    pacing: {
      globalRate: e.LISTWARDEN_SEND_RATE,
      destinationRate: e.LISTWARDEN_DESTINATION_RATE,
      warmup: e.LISTWARDEN_WARMUP,
    },
    logLevel: e.LISTWARDEN_LOG_LEVEL,
    logFormat: e.LISTWARDEN_LOG_FORMAT,
  };
}
