import { BUILT_IN_FIELDS, parseIsoDate, type AttributeType } from '../subscribers/attribute-values.js';
import { FilterError, type Comparison, type FieldRef, type Filter, type Literal } from './filter-parse.js';

/**
 * A read filter checked against the types of the list's attributes (pure): each condition knows
 * the type it compares as, and every value is of that type, with `now - 90d` made a time. A field
 * without a declared type takes the type of the value it is compared with (`contains` on an
 * attribute: a list). What does not fit is a FilterError naming the position.
 */
export type TypedValue =
  { type: 'string'; value: string } | { type: 'number'; value: number } | { type: 'date'; ms: number };

export type TypedFilter =
  | { op: 'and' | 'or'; left: TypedFilter; right: TypedFilter }
  | { op: 'not'; filter: TypedFilter }
  | { op: 'exists'; field: string; builtIn: boolean }
  | { op: 'compare'; field: string; builtIn: boolean; comparison: Comparison; value: TypedValue }
  | { op: 'in'; field: string; builtIn: boolean; values: TypedValue[] }
  /** Boolean attributes: `field = true`, `field != false`, … as the one value wanted. */
  | { op: 'is'; field: string; value: boolean }
  /** On a text: holds it; on a list: has it as an item. */
  | { op: 'contains'; field: string; builtIn: boolean; of: 'string' | 'list'; value: string };

export function checkFilter(filter: Filter, types: ReadonlyMap<string, AttributeType>, now: number): TypedFilter {
  const check = (f: Filter): TypedFilter => {
    switch (f.op) {
      case 'and':
      case 'or':
        return { op: f.op, left: check(f.left), right: check(f.right) };
      case 'not':
        return { op: 'not', filter: check(f.filter) };
      default:
        return leaf(f, types, now);
    }
  };
  return check(filter);
}

type FieldType = AttributeType;

function typeOf(field: FieldRef, types: ReadonlyMap<string, AttributeType>): { type?: FieldType; builtIn: boolean } {
  if (Object.hasOwn(BUILT_IN_FIELDS, field.name)) return { type: BUILT_IN_FIELDS[field.name], builtIn: true };
  if (field.name.length > 64) throw new FilterError(`A field name is at most 64 characters`, field.position);
  return { type: types.get(field.name), builtIn: false };
}

const kindName: Record<Literal['kind'], string> = {
  string: 'a text',
  number: 'a number',
  boolean: 'true or false',
  now: 'a time',
};

function leaf(
  f: Exclude<Filter, { op: 'and' | 'or' | 'not' }>,
  types: ReadonlyMap<string, AttributeType>,
  now: number,
): TypedFilter {
  const { type: declared, builtIn } = typeOf(f.field, types);
  const field = f.field.name;
  if (f.op === 'exists') return { op: 'exists', field, builtIn };
  if (f.op === 'contains') {
    const type = declared ?? 'list';
    if (type !== 'string' && type !== 'list')
      throw new FilterError(`${field} is ${describeType(type)}; "contains" works on texts and lists`, f.field.position);
    if (f.value.kind !== 'string')
      throw new FilterError(`"contains" takes a text in quotes, not ${kindName[f.value.kind]}`, f.value.position);
    return { op: 'contains', field, builtIn, of: type, value: f.value.value };
  }
  const first = f.op === 'in' ? (f.values[0] as Literal) : f.value;
  const type = declared ?? inferred(first);
  if (type === 'list') throw new FilterError(`${field} is a list; use ${field} contains "…"`, f.field.position);
  if (f.op === 'in') {
    if (type !== 'string' && type !== 'number')
      throw new FilterError(`"in" works on texts and numbers; ${field} is ${describeType(type)}`, f.field.position);
    return { op: 'in', field, builtIn, values: f.values.map((v) => value(v, type, field, now)) };
  }
  if (type === 'boolean') {
    if (f.comparison !== '=' && f.comparison !== '!=')
      throw new FilterError(`${field} is true or false: compare it with = or !=`, f.field.position);
    if (f.value.kind !== 'boolean')
      throw new FilterError(`${field} is true or false, not ${kindName[f.value.kind]}`, f.value.position);
    return { op: 'is', field, value: (f.comparison === '=') === f.value.value };
  }
  return { op: 'compare', field, builtIn, comparison: f.comparison, value: value(f.value, type, field, now) };
}

function inferred(literal: Literal): FieldType {
  switch (literal.kind) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'now':
      return 'date';
    default:
      return 'string';
  }
}

const describeType = (type: FieldType) =>
  type === 'boolean' ? 'true or false' : type === 'list' ? 'a list' : type === 'string' ? 'a text' : `a ${type}`;

function value(literal: Literal, type: Exclude<FieldType, 'list' | 'boolean'>, field: string, now: number): TypedValue {
  if (type === 'string' && literal.kind === 'string') return { type: 'string', value: literal.value };
  if (type === 'number' && literal.kind === 'number') return { type: 'number', value: literal.value };
  if (type === 'date') {
    if (literal.kind === 'now') return { type: 'date', ms: now + literal.offsetMs };
    if (literal.kind === 'string') {
      const ms = parseIsoDate(literal.value);
      if (ms === undefined)
        throw new FilterError(
          `${field} is a date; write "2025-03-31", "2025-03-31T14:00:00Z" or now - 90d`,
          literal.position,
        );
      return { type: 'date', ms };
    }
  }
  throw new FilterError(`${field} is ${describeType(type)}, not ${kindName[literal.kind]}`, literal.position);
}
