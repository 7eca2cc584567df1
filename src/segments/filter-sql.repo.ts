import type { RawBuilder, SqlBool } from 'kysely';
import type { Dialect } from '../db/database.js';
import { sql } from '../db/kysely-runtime.js';
import type { AttributeType } from '../subscribers/attribute-values.js';
import { checkFilter, type TypedFilter, type TypedValue } from './filter-types.js';
import type { Filter } from './filter-parse.js';

/** A condition over `subscribers as s` and `subscriptions as sn`, for the queries that take one. */
export type AudienceSql = RawBuilder<SqlBool>;

/**
 * A read filter as a parameterised SQL condition over `subscribers as s` joined with
 * `subscriptions as sn`: every value and every attribute name is a bound parameter, so no text of
 * the filter ever becomes SQL (the only raw pieces are the comparison signs, from a fixed table).
 * Each condition is made two-valued (`(…) is true`): a condition on an attribute a subscriber
 * lacks is false and its `not` true, in both dialects alike.
 */
export function filterCondition(
  filter: Filter,
  options: { dialect: Dialect; now: number; types: ReadonlyMap<string, AttributeType> },
): RawBuilder<SqlBool> {
  return toSql(checkFilter(filter, options.types, options.now), options.dialect, false);
}

/** `underNot`: a condition's NULL (a missing attribute) must read as false before it is negated. */
function toSql(f: TypedFilter, dialect: Dialect, underNot: boolean): RawBuilder<SqlBool> {
  switch (f.op) {
    case 'and':
      return sql<SqlBool>`(${toSql(f.left, dialect, underNot)} and ${toSql(f.right, dialect, underNot)})`;
    case 'or':
      return sql<SqlBool>`(${toSql(f.left, dialect, underNot)} or ${toSql(f.right, dialect, underNot)})`;
    case 'not':
      return sql<SqlBool>`(not ${toSql(f.filter, dialect, true)})`;
    default: {
      const leaf = dialect === 'postgres' ? postgresLeaf(f) : sqliteLeaf(f);
      // Outside a `not`, WHERE takes NULL as false already.
      return underNot ? sql<SqlBool>`((${leaf}) is true)` : sql<SqlBool>`(${leaf})`;
    }
  }
}

type Leaf = Exclude<TypedFilter, { op: 'and' | 'or' | 'not' }>;

const COLUMNS: Readonly<Record<string, string>> = {
  email: 's.email',
  name: 's.name',
  created_at: 's.created_at',
  confirmed_at: 'sn.confirmed_at',
};
const SIGNS = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

/** Built-in dates are epoch milliseconds; attribute dates ISO 8601 text (which sorts as time does). */
const builtInValue = (v: TypedValue) => (v.type === 'date' ? v.ms : v.value);
const attributeValue = (v: TypedValue) => (v.type === 'date' ? new Date(v.ms).toISOString() : v.value);

function builtIn(f: Leaf, dialect: Dialect): RawBuilder<unknown> | undefined {
  if (!('builtIn' in f) || !f.builtIn || !Object.hasOwn(COLUMNS, f.field)) return undefined;
  const name = COLUMNS[f.field] as string;
  const column = sql.ref(name);
  // Texts compare byte by byte in both dialects (PostgreSQL's collation would sort otherwise).
  const text = dialect === 'postgres' ? sql`${column} collate "C"` : column;
  switch (f.op) {
    case 'exists':
      return sql`${column} is not null`;
    case 'compare':
      return sql`${f.value.type === 'string' ? text : column} ${sql.raw(SIGNS[f.comparison])} ${builtInValue(f.value)}`;
    case 'in':
      return sql`${text} in (${sql.join(f.values.map(builtInValue))})`;
    case 'contains':
      return dialect === 'postgres' ? sql`strpos(${column}, ${f.value}) > 0` : sql`instr(${column}, ${f.value}) > 0`;
  }
}

/**
 * SQLite: json_type and json_extract at the path `$."name"` (a bound parameter; filter names are
 * \w+). The attributes are written by JSON.stringify, so a text equal to `v` is stored as
 * JSON.stringify(v): a condition that needs such a text first looks for it in the row's JSON
 * (instr, no parse; it only skips rows), and equality compares the element's JSON text (`->`) with
 * it, type and value in one look-up.
 */
function sqliteLeaf(f: Leaf): RawBuilder<unknown> {
  const own = builtIn(f, 'sqlite');
  if (own) return own;
  const path = `$."${f.field}"`;
  const type = sql`json_type(s.attributes, ${path})`;
  const value = sql`json_extract(s.attributes, ${path})`;
  const jsonText = sql`(s.attributes -> ${path})`;
  const holds = (text: string) => sql`instr(s.attributes, ${JSON.stringify(text)}) > 0`;
  switch (f.op) {
    case 'exists':
      return sql`${type} <> 'null'`;
    case 'is':
      return sql`${type} = ${f.value ? 'true' : 'false'}`;
    case 'contains':
      return f.of === 'list'
        ? sql`${holds(f.value)} and ${type} = 'array' and exists (select 1 from json_each(s.attributes, ${path}) as j where j.type = 'text' and j.value = ${f.value})`
        : sql`${type} = 'text' and instr(${value}, ${f.value}) > 0`;
    case 'in': {
      if ((f.values[0] as TypedValue).type === 'number')
        return sql`${type} in ('integer', 'real') and ${value} in (${sql.join(f.values.map(attributeValue))})`;
      const texts = f.values.map((v) => String(attributeValue(v)));
      return sql`(${sql.join(texts.map(holds), sql` or `)}) and ${jsonText} in (${sql.join(texts.map((t) => JSON.stringify(t)))})`;
    }
    case 'compare': {
      // A text equal to v: its JSON text is JSON.stringify(v), type and value in one look-up.
      if (f.comparison === '=' && f.value.type !== 'number') {
        const text = String(attributeValue(f.value));
        return sql`${holds(text)} and ${jsonText} = ${JSON.stringify(text)}`;
      }
      return sql`${type} in (${sql.join(jsonTypes(f.value))}) and ${value} ${sql.raw(SIGNS[f.comparison])} ${attributeValue(f.value)}`;
    }
  }
}

const jsonTypes = (v: TypedValue) => (v.type === 'number' ? ['integer', 'real'] : ['text']);

/** PostgreSQL: jsonb operators; a number is cast only where jsonb says it is one (never a cast error). */
function postgresLeaf(f: Leaf): RawBuilder<unknown> {
  const own = builtIn(f, 'postgres');
  if (own) return own;
  const node = sql`(s.attributes::jsonb -> ${f.field}::text)`;
  const text = sql`(s.attributes::jsonb ->> ${f.field}::text)`;
  const type = sql`jsonb_typeof(${node})`;
  const number = sql`(case when ${type} = 'number' then (${text})::numeric end)`;
  const ordered = sql`${text} collate "C"`;
  switch (f.op) {
    case 'exists':
      return sql`${type} <> 'null'`;
    case 'is':
      return sql`${type} = 'boolean' and ${text} = ${f.value ? 'true' : 'false'}`;
    case 'contains':
      return f.of === 'list'
        ? sql`${type} = 'array' and ${node} @> jsonb_build_array(${f.value}::text)`
        : sql`${type} = 'string' and strpos(${text}, ${f.value}::text) > 0`;
    case 'in':
      return (f.values[0] as TypedValue).type === 'number'
        ? sql`${number} in (${sql.join(f.values.map((v) => sql`${attributeValue(v)}::numeric`))})`
        : sql`${type} = 'string' and ${ordered} in (${sql.join(f.values.map((v) => sql`${attributeValue(v)}::text`))})`;
    case 'compare':
      return f.value.type === 'number'
        ? sql`${number} ${sql.raw(SIGNS[f.comparison])} ${f.value.value}::numeric`
        : sql`${type} = 'string' and ${ordered} ${sql.raw(SIGNS[f.comparison])} ${attributeValue(f.value)}::text`;
  }
}

/** Whom a send reaches besides being a confirmed subscriber of its list: a filter, and lists left out. */
export interface Audience {
  filter?: Filter;
  /** Confirmed subscribers of these lists are left out. */
  excludeListIds?: readonly number[];
  /** An A/B test's sample (subscriber id mod 100 below `percent`), or the rest of the audience. */
  sample?: { percent: number; inSample: boolean };
}

/** The audience as one condition over `s` and `sn` (undefined: everyone on the list). */
export function audienceCondition(
  audience: Audience,
  options: { dialect: Dialect; now: number; types: ReadonlyMap<string, AttributeType> },
): RawBuilder<SqlBool> | undefined {
  const parts: Array<RawBuilder<SqlBool>> = [];
  if (audience.filter) parts.push(filterCondition(audience.filter, options));
  const excluded = audience.excludeListIds ?? [];
  if (excluded.length > 0)
    parts.push(sql<SqlBool>`not exists (select 1 from subscriptions as x where x.subscriber_id = s.id
      and x.status = 'confirmed' and x.list_id in (${sql.join([...excluded])}))`);
  if (audience.sample)
    parts.push(
      audience.sample.inSample
        ? sql<SqlBool>`(s.id % 100) < ${audience.sample.percent}`
        : sql<SqlBool>`(s.id % 100) >= ${audience.sample.percent}`,
    );
  if (parts.length === 0) return undefined;
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}
