import type { Logger } from 'pino';
import { createApiKeysService } from './apikeys/apikeys.service.js';
import { createAccountsService, type AccountsService } from './accounts/accounts.service.js';
import { createActivityLog, type ActivityLog } from './accounts/activity.service.js';
import { createDailyCounts, type DailyCounts } from './metrics/daily-counts.service.js';
import { createImportJobs, type ImportJobs } from './consent/import-jobs.js';
import { gatherProof, type ConsentProof } from './consent/proof.js';
import { campaignMailHandler } from './campaigns/campaign-mail.js';
import { createCampaignsService } from './campaigns/campaigns.service.js';
import { guardedCampaigns } from './campaigns/hold.js';
import type { Config } from './config/config.js';
import { resolveSecrets } from './config/secret.js';
import { createConfirmService } from './consent/confirm.js';
import { confirmationMailHandler } from './consent/confirmation-mail.js';
import { liveConfirmationLimits } from './consent/send-limits.js';
import { createPeopleService } from './consent/people.service.js';
import { createSignupService } from './consent/signup.js';
import { eraseFeedbackOf } from './feedback/feedback.repo.js';
import { eraseEngagementOf } from './tracking/tracking.repo.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createTokenCodec, type TokenCodec } from './consent/tokens.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { createListsService } from './lists/lists.service.js';
import { createTransport } from './mail/create-transport.js';
import { fromDomain } from './mail/dkim.js';
import { createDkimSigner } from './mail/dkim-pool.js';
import { createDkimKeysService, type DkimKeysService } from './dkim/dkim-keys.service.js';
import { createApproval } from './campaigns/approval.js';
import type { OutboxWorker } from './mail/outbox-worker.js';
import { createMailWorker } from './mail-worker.js';
import type { OutgoingMessage, Transport } from './mail/transport.js';
import { AppError } from './shared/app-error.js';
import { loadConfig } from './config/config.js';
import {
  createSettingsService,
  readStoredSettings,
  reloadStoredSettings,
  type SettingsService,
} from './config/settings.service.js';
import { createLogger } from './shared/logger.js';
import { createDomainVerifier, skipDomainChecks, type DomainVerifier } from './subscribers/domain-check.js';
import { builtinLocalesDir, liveTemplates } from './templates/liquid.js';
import { liveTranslator, type Translator } from './i18n/catalogue.js';
import { createBrandAssetsService, type BrandAssetsService } from './brand/brand-assets.service.js';
import { createBrandResolver, type BrandResolver } from './brand/brand-resolver.js';
import { configuredKeyFiles } from './dkim/key-files.js';
import { createListLook } from './campaigns/newsletter-layout.js';
import { createUnsubscribeService } from './unsubscribe/unsubscribe.service.js';
import { dataLinkMailHandler } from './unsubscribe/data-link-mail.js';
import { createFeedbackService } from './feedback/feedback.service.js';
import { createAbuseService } from './audit/abuse.service.js';
import { openHost } from './audit/host.js';
import { createSpambotWatch } from './audit/spambot-watch.service.js';
import { createAuditRuns, type AuditRuns } from './audit/audit-runs.service.js';
import { parseAuditInput } from './audit/audit-input.js';
import { createFeedbackBrowser, type FeedbackBrowser } from './feedback/feedback-browse.js';
import { createReputationView, type ReputationView } from './reputation/reputation-view.service.js';
import { createGuard } from './feedback/guard.service.js';
import { createReturnPath } from './mail/envelope.js';
import { createVerpCodec } from './mail/verp.js';
import { dnsblClientFor } from './reputation/dnsbl-client.js';
import { createReputationMonitor } from './reputation/monitor.service.js';
import { CATALOGUE, DEFAULT_IP_ZONES, zoneInfo } from './reputation/zones.js';
import { namedBlocklist } from './reputation/named-blocklist.js';
import { preSendCheck } from './campaigns/pre-send-check.js';
import { scoreWithRspamd, scoreWithSpamd } from './reputation/spam-scorer.js';
import { createStreams, eraseStreamsOf, type Streams } from './streams.js';
import { createMarketing, type Marketing } from './marketing.js';

/**
 * The composition root: the only place where adapters (database, transport, DNS, templates)
 * are built and handed to the modules that use them.
 */
/** With transactional mail, outgoing webhooks and shop sync (streams.ts). */
export interface Services
  extends
    Pick<Streams, 'tx' | 'txTemplates' | 'txWorker' | 'webhooks' | 'dispatcher' | 'shop'>,
    Pick<Marketing, 'segments' | 'attributes' | 'automations' | 'automationScheduler' | 'tracking'> {
  config: Config;
  logger: Logger;
  database: Database;
  tokens: TokenCodec;
  transport: Transport;
  worker: OutboxWorker;
  lists: ReturnType<typeof createListsService>;
  subscribers: ReturnType<typeof createPeopleService>;
  /** The one clock every operation of this process takes its time from. */
  clock: Clock;
  apiKeys: ReturnType<typeof createApiKeysService>;
  signup: ReturnType<typeof createSignupService>;
  settings: SettingsService;
  /** DKIM keys: generated or imported, sealed under the secret, the active ones sign. */
  dkim: DkimKeysService;
  /** Console users, sessions and the first owner's setup link. */
  accounts: AccountsService;
  /** Every console action with its user. */
  activity: ActivityLog;
  /** The dashboard's daily counts. */
  dailyCounts: DailyCounts;
  /** Imports started in the console. */
  imports: ImportJobs;
  /** The proof of consent of one address to one list. */
  proof: (email: unknown, list: string) => Promise<ConsentProof>;
  /**
   * Reads the stored settings again and updates the configuration in place when they changed
   * (serve does every few seconds); returns the keys that changed.
   */
  reloadSettings(): Promise<string[]>;
  /** The signup domain check, with its DNS canary. */
  domains: DomainVerifier;
  confirm: ReturnType<typeof createConfirmService>;
  unsubscribe: ReturnType<typeof createUnsubscribeService>;
  campaigns: ReturnType<typeof createCampaignsService>;
  feedback: ReturnType<typeof createFeedbackService>;
  guard: ReturnType<typeof createGuard>;
  reputation: ReturnType<typeof createReputationMonitor>;
  /** The spambot check that `serve` runs every LISTWARDEN_AUDIT_INTERVAL_MINUTES on this host. */
  spambotWatch: ReturnType<typeof createSpambotWatch>;
  /** Feedback as the console reads it: reports by keyset, the quarantine. */
  feedbackBrowser: FeedbackBrowser;
  /** The blocklist checks as maps, their history, the sending domain's checklist. */
  reputationView: ReputationView;
  /** The host audit run from the console (one at a time) and the stored runs. */
  auditRuns: AuditRuns;
  /** The catalogues of every public page and system mail, with the shop's overrides. */
  i18n: Translator;
  /** The brand's uploaded images. */
  brandAssets: BrandAssetsService;
  /** The brand of a list's pages and mail, as template values. */
  brand: BrandResolver;
  streamsHousekeeping: Streams['housekeeping'];
  close(): Promise<void>;
}

/** Wires every service for one process; `migrate` brings the schema up to date first. */
export async function createServices(
  config: Config,
  options: { logger?: Logger; migrate?: boolean; clock?: Clock; fanOutInBackground?: boolean; cacheMiB?: number } = {},
): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const database = openDatabase(config.databaseUrl, {
    ...(options.cacheMiB ? { sqliteCacheMiB: options.cacheMiB } : {}),
    onIdleError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
  });
  try {
    if (options.migrate !== false) {
      const applied = await migrateToLatest(database);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    }
    // The settings stored in the database complete the configuration (the environment overrides
    // them); the object is updated in place, so everything wired below reads the same one.
    Object.assign(config, loadConfig(config.environment, await readStoredSettings(database)));
  } catch (error) {
    await database.close();
    throw error;
  }
  const secrets = resolveSecrets(config);
  const dkim = createDkimKeysService({ database, secrets: [secrets.current, ...secrets.previous], clock });
  try {
    // Key files named in the environment (the older way) join the store as active keys.
    if (config.dkim) await dkim.adoptConfigured(configuredKeyFiles(config.dkim));
  } catch (error) {
    await database.close();
    throw new AppError('invalid_input', (error as Error).message);
  }
  const signer = createDkimSigner();
  /** A campaign's approved keys, else the active keys of the From domain; no key, no signature. */
  const sign = async (message: OutgoingMessage): Promise<OutgoingMessage> => {
    const keys = message.signWith ?? (await dkim.signingKeysFor(fromDomain(message.raw) ?? ''));
    return keys.length === 0 ? message : { ...message, raw: await signer.sign(message.raw, keys) };
  };
  const tokens = createTokenCodec([secrets.current, ...secrets.previous], clock);
  const transport = createTransport(config.smtpUrl, { bulkConnections: config.outbox.concurrency });
  const dnsVerifier = createDomainVerifier({
    servers: config.dnsServers,
    timeoutMs: config.dnsTimeoutMs,
    onResolverState: (healthy, message) => (healthy ? logger.info(message) : logger.warn(message)),
  });
  // verify_domains is read at each signup: turned on or off, it counts without a restart.
  const verifier: DomainVerifier = {
    check: (domain) => (config.verifyDomains ? dnsVerifier : skipDomainChecks).check(domain),
    canary: () => (config.verifyDomains ? (dnsVerifier.canary?.() ?? Promise.resolve(true)) : Promise.resolve(true)),
  };
  const i18n = liveTranslator(
    builtinLocalesDir(),
    () => config.templatesDir,
    (message) => logger.warn(message),
  );
  const mailHtml = liveTemplates(() => config.templatesDir, 'mail', 'html', i18n);
  const mailText = liveTemplates(() => config.templatesDir, 'mail', 'text', i18n);
  const lists = createListsService(database, clock, i18n);
  const brandAssets = createBrandAssetsService(database, clock);
  const brand = createBrandResolver({
    shop: () => config.brand,
    publicUrl: () => config.publicUrl,
    assets: brandAssets,
  });
  const verp = createVerpCodec([secrets.current, ...secrets.previous]);
  const returnPath = createReturnPath(verp, () => config.bounceDomain);
  const approval = createApproval({
    keys: dkim,
    settings: () => ({
      postalAddress: config.postalAddress ?? '',
      publicUrl: config.publicUrl,
      bounceDomain: config.bounceDomain,
      layoutsDir: config.layoutsDir,
    }),
    look: createListLook({ brand, t: (language, key, values) => i18n.t(language, key, values) }),
  });
  const campaignMail = campaignMailHandler({
    clock,
    database,
    tokens,
    returnPath,
    feedbackSenderId: config.feedbackSenderId,
    approval,
    keys: dkim,
  });
  const layoutsDir = () => config.layoutsDir;
  const onQueued = () => worker.poke();
  const marketing = createMarketing({ database, lists, approval, campaignMail, layoutsDir, clock, tokens, onQueued });
  const notifyDomain = config.dkim?.domain ?? config.bounceDomain ?? new URL(config.publicUrl).hostname;
  let lastBlocklistCheck = 0;
  const guard = createGuard({
    clock,
    database,
    logger,
    get settings() {
      return config.guard;
    },
    get adminEmail() {
      return config.adminEmail;
    },
    notifyFrom: `listwarden@${notifyDomain}`,
    campaigns: guardedCampaigns,
    namedBlocklist,
    // A refusal that names a blocklist: check our IPs now (at most once a minute), not at the next interval.
    onBlocklistNamed: () => {
      if (config.reputation.sendingIps.length === 0 || clock.now() - lastBlocklistCheck < 60_000) return;
      lastBlocklistCheck = clock.now();
      reputation.runOnce().catch((error: unknown) => logger.error({ err: error }, 'blocklist check failed'));
    },
    onQueued: () => worker.poke(),
  });
  const ownerAlerts = {
    get to() {
      return config.adminEmail;
    },
    from: `listwarden@${notifyDomain}`,
  };
  const feedback = createFeedbackService({
    clock,
    database,
    verp,
    guard,
    logger,
    get softBounces() {
      return config.softBounces;
    },
    abuse: createAbuseService({ alerts: ownerAlerts, logger, clock }),
  });
  const worker = createMailWorker({
    config,
    database,
    clock,
    logger,
    transport,
    sign,
    onRejected: (row, reply) => feedback.sessionRejection(row, reply),
    onDeferred: async (row, destination) => {
      if (row.campaign_id !== null) await guard.afterDeferral(row.campaign_id, destination);
    },
    handlers: {
      confirmation: confirmationMailHandler({
        database,
        tokens,
        get publicUrl() {
          return config.publicUrl;
        },
        confirmTtlMs: config.confirmTokenTtlMs,
        returnPath,
        html: mailHtml,
        text: mailText,
        brand,
      }),
      campaign: campaignMail,
      automation: marketing.automationMail,
      data_link: dataLinkMailHandler({
        database,
        tokens,
        get publicUrl() {
          return config.publicUrl;
        },
        returnPath,
        html: mailHtml,
        text: mailText,
        brand,
      }),
    },
  });
  const onMailQueued = () => worker.poke();
  const confirmationLimits = liveConfirmationLimits(() => ({
    perMailboxPerDay: config.confirmationPerMailboxPerDay,
    perDomainPerHour: config.confirmationPerDomainPerHour,
  }));
  const imports = createImportJobs({
    database,
    lists,
    dir: () => config.dataDir,
    mailsPerHour: () => config.repermissionPerHour,
    clock,
    logger,
  });
  const subscribers = createPeopleService(database, lists, {
    clock,
    eraseElsewhere: [
      (trx, person) => eraseFeedbackOf(trx, person),
      (trx, person) => eraseStreamsOf(trx, person, clock.now()),
      eraseEngagementOf,
    ],
    // Uploads waiting for their column mapping may hold the address: erasure deletes them.
    afterCommit: [
      ...(transport.forget ? [(email: string) => transport.forget?.(email) ?? Promise.resolve(0)] : []),
      () => imports.discardWaiting(),
    ],
  });
  const signup = createSignupService({ database, lists, verifier, onMailQueued, clock, limits: confirmationLimits });
  const unsubscribe = createUnsubscribeService({ database, tokens, subscribers, signup, clock, onMailQueued });
  const streams = createStreams({
    config,
    database,
    clock,
    logger,
    secrets: [secrets.current, ...secrets.previous],
    lists,
    signup,
    people: subscribers,
    returnPath,
    alerts: ownerAlerts,
    sign,
    onAlertQueued: onMailQueued,
  });
  const dnsblClient = () => dnsblClientFor(config, config.dnsServers);
  // Read at use: zones, scorer and threshold changed in the settings count at the next check.
  const preSendDeps = {
    handler: campaignMail,
    dnsbl: dnsblClient,
    get domainZones() {
      const zones = config.reputation.domainZones ?? CATALOGUE.filter((z) => z.kind === 'domain').map((z) => z.zone);
      return zones.map((zone) => ({ ...zoneInfo(zone), kind: 'domain' as const }));
    },
    get scorer() {
      const { spamd, rspamdUrl } = config.spamScorer;
      if (spamd) return (raw: Buffer) => scoreWithSpamd(spamd, raw);
      return rspamdUrl ? (raw: Buffer) => scoreWithRspamd(rspamdUrl, raw) : undefined;
    },
    get threshold() {
      return config.spamScorer.threshold;
    },
  };
  const reputation = createReputationMonitor({
    clock,
    database,
    logger,
    client: dnsblClient,
    settings: {
      get sendingIps() {
        return config.reputation.sendingIps;
      },
      get range() {
        return config.reputation.range;
      },
      get zones() {
        return (config.reputation.zones ?? DEFAULT_IP_ZONES).map(zoneInfo);
      },
      get blockingZones() {
        return new Set(config.reputation.blockingZones ?? CATALOGUE.filter((z) => z.blocks).map((z) => z.zone));
      },
    },
    alerts: ownerAlerts,
    holdAllRunning: marketing.holdAllSending,
    onQueued: () => worker.poke(),
  });
  const spambotWatch = createSpambotWatch({
    clock,
    database,
    host: openHost('/'),
    logger,
    alerts: ownerAlerts,
    foreignLimit: config.audit.foreignLimit,
    postfixConfig: config.audit.postfixConfig,
    onQueued: () => worker.poke(),
  });
  const auditRuns = createAuditRuns({
    clock,
    database,
    host: openHost('/'),
    // The same reading of LISTWARDEN_AUDIT_MTA as `listwarden audit`.
    mta: () => parseAuditInput({ mta: config.audit.mta }).mta,
    foreignLimit: () => config.audit.foreignLimit,
    postfixConfig: () => config.audit.postfixConfig,
  });
  const reputationView = createReputationView({
    database,
    sendingIps: () => config.reputation.sendingIps,
    dnsServers: () => config.dnsServers,
    dnsTimeoutMs: () => config.dnsTimeoutMs,
    bounceDomain: () => config.bounceDomain ?? config.dkim?.domain,
    dkimKeys: async (domain) =>
      (await dkim.list())
        .filter((k) => k.domain === domain)
        .map((k) => ({
          domain: k.domain,
          selector: k.selector,
          algorithm: k.algorithm,
          publicKey: k.record.value.replace(/^.*p=/, ''),
          status: k.status,
        })),
  });
  const campaigns = createCampaignsService({
    audiences: marketing.audiences,
    clock,
    database,
    lists,
    handler: campaignMail,
    transport,
    approval,
    sign,
    get layoutsDir() {
      return config.layoutsDir;
    },
    get testAddresses() {
      return [...config.testAddresses, ...(config.adminEmail ? [config.adminEmail.toLowerCase()] : [])];
    },
    onQueued: onMailQueued,
    fanOutInBackground: options.fanOutInBackground === true,
    logger,
    postalAddress: () => config.postalAddress ?? '',
    preSend: (campaign) => preSendCheck(preSendDeps, campaign),
  });
  return {
    config,
    clock,
    logger,
    database,
    i18n,
    brandAssets,
    brand,
    tokens,
    transport,
    worker,
    spambotWatch,
    feedbackBrowser: createFeedbackBrowser(database.db),
    reputationView,
    auditRuns,
    lists,
    subscribers,
    apiKeys: createApiKeysService(database, clock),
    signup,
    domains: verifier,
    settings: createSettingsService({ database, config, clock }),
    dkim,
    accounts: createAccountsService({ database, secret: secrets.current, clock }),
    activity: createActivityLog({ database, clock }),
    dailyCounts: createDailyCounts({ database, clock }),
    proof: (email, list) => gatherProof(database, lists, email, list),
    imports,
    reloadSettings: () => reloadStoredSettings(config, database),
    confirm: createConfirmService({
      database,
      tokens,
      confirmTtlMs: config.confirmTokenTtlMs,
      onMailQueued,
      clock,
      limits: confirmationLimits,
    }),
    unsubscribe,
    feedback,
    guard,
    reputation,
    ...streams,
    streamsHousekeeping: () => streams.housekeeping(),
    campaigns,
    segments: marketing.segments,
    attributes: marketing.attributes,
    automations: marketing.automations,
    automationScheduler: marketing.automationScheduler,
    tracking: marketing.tracking,
    async close() {
      await campaigns.stopFanOuts();
      guard.close();
      await transport.close();
      await streams.txTransport.close();
      await signer.close();
      await database.close();
    },
  };
}
