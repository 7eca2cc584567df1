import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';

/**
 * Kysely's values, from its CommonJS build: here that build loads in about 100 ms, its ES module
 * build (some 400 small files) in about 175 ms, and every CLI command pays it before it can
 * answer. Types still come from `kysely` (type-only imports cost nothing at run time).
 */
const kysely = createRequire(import.meta.url)('kysely') as typeof KyselyModule;

export const { Kysely, sql, Migrator, PostgresDialect, SqliteDialect, CompiledQuery } = kysely;
