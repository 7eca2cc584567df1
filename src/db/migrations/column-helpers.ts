import type { CreateTableBuilder } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * An auto-increment primary key that never reuses a value: tokens name subscribers by id,
 * so an erased subscriber's id must never point at somebody else.
 */
export function withId<T extends string>(
  dialect: Dialect,
  table: CreateTableBuilder<T, never>,
): CreateTableBuilder<T, 'id'> {
  return dialect === 'postgres'
    ? table.addColumn('id', 'bigint', (c) => c.generatedByDefaultAsIdentity().primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/** Foreign-key columns have the id's type in each dialect. */
export function idType(dialect: Dialect): 'bigint' | 'integer' {
  return dialect === 'postgres' ? 'bigint' : 'integer';
}
