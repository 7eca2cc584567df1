import type { Clock } from './shared/clock.js';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { pruneConfirmationLimits, purgeStalePending } from './consent/housekeeping.js';
import { releaseDueRepermissions } from './consent/repermission.js';
import { AppError } from './shared/app-error.js';
import { liveTemplates } from './templates/liquid.js';
import { createServices } from './main.js';

// `listwarden serve`: the long-running process (HTTP, inbound SMTP, worker, schedulers) built on
// the composition root, main.ts.

/** How often `serve` looks for changed settings (`listwarden settings set` in another process). */
const SETTINGS_RELOAD_MS = 2_000;
/** How often `serve` checks that its resolver answers for the big mail providers. */
const DNS_CANARY_INTERVAL_MS = 5 * 60_000;
const HOUSEKEEPING_INTERVAL_MS = 3_600_000;
const SCHEDULER_INTERVAL_MS = 2_000;

/**
 * Runs `task` every `ms` (and at once when `now`), never two runs at a time; errors are logged.
 * The returned stop waits for a run in progress, so shutdown never cuts one off.
 */
function every(
  logger: Logger,
  name: string,
  ms: number,
  task: () => Promise<unknown>,
  now = false,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= task()
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error }, `${name} failed`),
      )
      .finally(() => {
        running = undefined;
      });
  };
  if (now) run();
  const timer = setInterval(run, ms);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * A task that runs when its interval (read each time: a stored setting may change it; 0 turns it
 * off) has passed since its last run; `every` asks it every few seconds.
 */
function whenDue(clock: Clock, interval: () => number, task: () => Promise<unknown>): () => Promise<unknown> {
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    const ms = interval();
    if (ms <= 0 || clock.now() - last < ms) return;
    last = clock.now();
    await task();
  };
}

/**
 * `listwarden serve`: HTTP server, outbox worker and the schedulers in one process. With
 * `workerOnly`, just the outbox worker: run as many as needed next to one full `serve`, against
 * the same PostgreSQL database. SIGTERM and SIGINT stop accepting, let in-flight requests and
 * sends finish, release the rest, and exit.
 */
export async function serve(
  config: Config,
  options: { logger?: Logger; workerOnly?: boolean } = {},
): Promise<{
  url: string | undefined;
  inboundPort: number | undefined;
  /** The one-time link for the first console owner, while there is no user. */
  setupUrl: string | undefined;
  stop(): Promise<void>;
}> {
  // Fan-outs go on in the background while the worker sends (a campaign's first mail leaves in seconds).
  // The server's SQLite cache is 8 MiB (see openDatabase): measured, a quarter less memory for the same rate.
  const services = await createServices(config, { ...options, fanOutInBackground: true, cacheMiB: 8 });
  const { logger } = services;
  let app: { close(): Promise<unknown> } | undefined;
  let inbound: { port: number; close(): Promise<void> } | undefined;
  let url: string | undefined;
  const timers: Array<() => Promise<void>> = [];
  // Every process (a worker-only one renders and signs mail too) picks up changed settings.
  timers.push(
    every(logger, 'settings reload', SETTINGS_RELOAD_MS, async () => {
      try {
        const changed = await services.reloadSettings();
        if (changed.length > 0) logger.info({ settings: changed }, 'settings changed; now in effect');
      } catch (error) {
        logger.warn({ err: error }, 'stored settings are not valid; the previous ones stay in effect');
      }
    }),
  );
  if (!options.workerOnly) {
    const pages = liveTemplates(() => config.templatesDir, 'pages', 'html', services.i18n);
    // Loaded here so CLI commands that never serve HTTP start faster.
    const { buildHttpApp } = await import('./http/app.js');
    const http = await buildHttpApp({ ...services, pages });
    // The inbound listener binds first and HTTP last, so a taken port stops the start before
    // anything says it is listening; either clash is one sentence.
    const { startInboundSmtp } = await import('./feedback/inbound-smtp.js');
    try {
      inbound = await startInboundSmtp({
        host: config.inboundHost,
        port: config.inboundPort,
        maxBytes: config.inboundMaxBytes,
        limits: config.inboundLimits,
        get bounceDomain() {
          return config.bounceDomain;
        },
        database: services.database,
        tokens: services.tokens,
        feedback: services.feedback,
        unsubscribe: services.unsubscribe,
        logger,
      });
      url = await http.listen({ host: config.host, port: config.port });
    } catch (error) {
      await inbound?.close();
      await http.close();
      await services.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new AppError(
          'unavailable',
          `The HTTP port ${config.host}:${config.port} is already in use; set LISTWARDEN_PORT to a free port (or stop the other program).`,
        );
      }
      throw error;
    }
    app = http;
    // The schedulers run in the process that serves HTTP only, so they never race each other.
    timers.push(
      every(logger, 'dns canary', DNS_CANARY_INTERVAL_MS, async () => void (await services.domains.canary?.()), true),
      every(
        logger,
        'housekeeping',
        HOUSEKEEPING_INTERVAL_MS,
        async () => {
          await purgeStalePending(services.database, config.pendingTtlMs, services.clock.now(), logger);
          await pruneConfirmationLimits(services.database, services.clock.now());
          await services.streamsHousekeeping();
        },
        true,
      ),
      every(logger, 're-permission release', SCHEDULER_INTERVAL_MS, async () => {
        if ((await releaseDueRepermissions(services.database, services.clock.now())) > 0) services.worker.poke();
      }),
      // Automation steps whose time has come, and welcome flows for new confirmations.
      every(logger, 'automations', SCHEDULER_INTERVAL_MS, async () => void (await services.automationScheduler.tick())),
      every(logger, 'campaign scheduler', SCHEDULER_INTERVAL_MS, async () => {
        await services.campaigns.startDue();
        await services.campaigns.decideAbTests();
        // Fan-outs cut off by a restart or a failed batch go on (in the background).
        await services.campaigns.continueFanOuts();
        await services.campaigns.finishCompleted();
      }),
    );
    if (config.reputation.sendingIps.length > 0) {
      const { publicResolverWarning } = await import('./reputation/resolvers.js');
      const warning = publicResolverWarning(config.dnsServers);
      if (warning) logger.warn(warning);
    }
    // Intervals and sending IPs are read at each tick: changed settings count without a restart.
    const blocklistInterval = () => (config.reputation.sendingIps.length > 0 ? config.reputation.intervalMs : 0);
    timers.push(
      every(
        logger,
        'blocklist watch',
        SCHEDULER_INTERVAL_MS,
        whenDue(services.clock, blocklistInterval, () => services.reputation.runOnce()),
        true,
      ),
      every(
        logger,
        'spambot check',
        SCHEDULER_INTERVAL_MS,
        whenDue(
          services.clock,
          () => config.audit.intervalMs,
          () => services.spambotWatch.runOnce(),
        ),
        true,
      ),
    );
    if (config.imap) {
      const { createImapPoller } = await import('./feedback/imap-poller.js');
      const poller = createImapPoller({ settings: config.imap.settings, feedback: services.feedback, logger });
      timers.push(every(logger, 'feedback mailbox poll', config.imap.intervalMs, () => poller.pollOnce(), true));
    }
  }
  services.worker.start();
  // Order mail and webhook deliveries run in every process, worker-only ones too (leases keep them apart).
  services.txWorker.start();
  services.dispatcher.start();
  // No console user yet: a one-time link for the first owner, printed by the command (never logged).
  const setupToken = options.workerOnly ? undefined : await services.accounts.issueSetupToken();
  if (setupToken) logger.info('no console user yet: the setup link for the first owner is printed on standard output');
  logger.info(
    {
      url,
      inboundSmtp: inbound ? `${config.inboundHost}:${inbound.port}` : undefined,
      workerId: services.worker.workerId,
      publicUrl: config.publicUrl,
      transport: services.transport.name,
      database: services.database.dialect,
    },
    options.workerOnly ? 'listwarden worker is running' : 'listwarden is listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      await Promise.all(timers.map((stopTimer) => stopTimer()));
      await app?.close();
      await inbound?.close();
      await Promise.all([services.worker.stop(), services.txWorker.stop(), services.dispatcher.stop()]);
      await services.close();
      logger.info('stopped');
    })());
  return {
    url,
    inboundPort: inbound?.port,
    setupUrl: setupToken ? `${config.publicUrl}/setup/${setupToken}` : undefined,
    stop,
  };
}
