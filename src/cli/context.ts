import { existsSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { AppError } from '../shared/app-error.js';
import type { Database } from '../db/database.js';
import type { Services } from '../main.js';

/**
 * One home: a command other than `serve`, `migrate` and `init` never creates a database (or a
 * secret) where none is, so a command run from the wrong folder says where the database should be
 * instead of starting an empty second one.
 */
export function requireExistingDatabase(config: Pick<Config, 'databaseUrl'>): void {
  if (!config.databaseUrl.startsWith('sqlite:')) return;
  const file = config.databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '');
  if (file === ':memory:' || existsSync(file)) return;
  throw new AppError(
    'not_found',
    `No Listwarden database at ${file}; run this where the server runs, or set LISTWARDEN_DATA_DIR (or LISTWARDEN_DATABASE_URL). \`listwarden init\` creates a new one.`,
  );
}

/** Runs a command with the wired services, logging warnings to stderr so stdout stays data. */
export async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  // Loaded here, not at start: `listwarden --help` needs none of it.
  const [{ loadConfig }, { createServices }, { createLogger }, { default: pino }] = await Promise.all([
    import('../config/config.js'),
    import('../main.js'),
    import('../shared/logger.js'),
    import('pino'),
  ]);
  const config = loadConfig();
  requireExistingDatabase(config);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
  const services = await createServices(config, { logger });
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/**
 * Runs a read-only command with the database alone (no settings schema, transport, DNS, keys,
 * templates or workers), so it answers at once (`lists list`). An older schema is brought up to
 * date first, as every other command does.
 */
export async function withDatabase<T>(work: (context: { database: Database }) => Promise<T>): Promise<T> {
  const [{ databaseLocation }, { openDatabase }, { isSchemaCurrent, migrateToLatest }] = await Promise.all([
    import('../config/database-location.js'),
    import('../db/database.js'),
    import('../db/migrate.js'),
  ]);
  const url = databaseLocation();
  // A malformed URL: the full configuration names the problem.
  if (url === undefined) (await import('../config/config.js')).loadConfig();
  requireExistingDatabase({ databaseUrl: url as string });
  const database = openDatabase(url as string);
  try {
    if (!(await isSchemaCurrent(database))) await migrateToLatest(database);
    return await work({ database });
  } finally {
    await database.close();
  }
}
