/**
 * Where the database is: `LISTWARDEN_DATABASE_URL`, else `sqlite:<LISTWARDEN_DATA_DIR>/listwarden.db`.
 * `loadConfig` uses the same rule; a read-only command reads only this, without loading the
 * schema of every setting, so it can answer at once.
 */
export const DATABASE_URL_FORMAT = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;

export function defaultDatabaseUrl(dataDir: string): string {
  return `sqlite:${dataDir.replace(/\/+$/, '')}/listwarden.db`;
}

/** The database URL from the environment; undefined when it is set but malformed (`loadConfig` says why). */
export function databaseLocation(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.LISTWARDEN_DATABASE_URL?.trim();
  if (given) return DATABASE_URL_FORMAT.test(given) ? given : undefined;
  return defaultDatabaseUrl(env.LISTWARDEN_DATA_DIR?.trim() || './data');
}
