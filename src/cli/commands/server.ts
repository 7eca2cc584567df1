import type { Command } from 'commander';
import { printJson } from '../output.js';

/** The modules these commands need, loaded when one runs (not for `--help`). */
async function load() {
  const [config, database, migrate, main, server, logger, pretty, pino] = await Promise.all([
    import('../../config/config.js'),
    import('../../db/database.js'),
    import('../../db/migrate.js'),
    import('../../main.js'),
    import('../../serve.js'),
    import('../../shared/logger.js'),
    import('../../shared/pretty-log.js'),
    import('pino'),
  ]);
  return {
    loadConfig: config.loadConfig,
    openDatabase: database.openDatabase,
    migrateToLatest: migrate.migrateToLatest,
    createServices: main.createServices,
    serve: server.serve,
    createLogger: logger.createLogger,
    prettyDestination: pretty.prettyDestination,
    pino: pino.default,
  };
}

/** `listwarden serve` and `listwarden migrate` */
export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP server and the outbox worker (migrates the database first)')
    .option('--worker-only', 'run only the outbox worker (more senders next to one full serve, on PostgreSQL)')
    .action(async (opts: { workerOnly?: boolean }) => {
      const { loadConfig, createLogger, prettyDestination, serve } = await load();
      const config = loadConfig();
      // People read a terminal: readable lines there (and a short summary), JSON for machines.
      const pretty = config.logFormat === 'pretty' || (config.logFormat === undefined && process.stdout.isTTY);
      const logger = createLogger(config.logLevel, pretty ? prettyDestination() : undefined);
      const server = await serve(config, { workerOnly: opts.workerOnly === true, logger });
      if (pretty && server.url) {
        process.stdout.write(
          `\nListwarden is running.\n  pages and API   ${config.publicUrl}/  (listening on ${server.url})\n` +
            `  bounces (SMTP)  ${config.inboundHost}:${server.inboundPort ?? config.inboundPort}\n` +
            `  outgoing mail   ${config.smtpUrl.startsWith('capture:') ? `written to ${config.smtpUrl.slice(8)} (capture)` : 'to the SMTP relay'}\n` +
            `Open ${config.publicUrl}/ for what to do next. Ctrl-C stops.\n\n`,
        );
      }
      if (server.setupUrl) {
        process.stdout.write(
          `\nNo console user yet. Create the first owner here (the link works once, for 24 hours):\n  ${server.setupUrl}\n\n`,
        );
      }
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          server.stop().then(resolve, (error) => {
            process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });

  program
    .command('init')
    .description('create the database (and the secret) here, then say what to do next')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { loadConfig, createServices, createLogger, pino } = await load();
      const config = loadConfig();
      const services = await createServices(config, { logger: createLogger('warn', pino.destination(2)) });
      await services.close();
      if (opts.json) printJson({ database: config.databaseUrl, dataDir: config.dataDir });
      else
        process.stdout.write(
          `Created the database (${config.databaseUrl}) and the data folder ${config.dataDir}.\n` +
            'Next: `listwarden serve`, then `listwarden lists create …` from this folder.\n',
        );
    });

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { loadConfig, openDatabase, migrateToLatest } = await load();
      const database = openDatabase(loadConfig().databaseUrl);
      try {
        const applied = await migrateToLatest(database);
        if (opts.json) printJson({ applied });
        else
          process.stdout.write(applied.length ? `Applied ${applied.join(', ')}.\n` : 'The database is up to date.\n');
      } finally {
        await database.close();
      }
    });
}
