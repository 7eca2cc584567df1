import { AppError } from '../shared/app-error.js';

/**
 * The segment filter language, read into a tree (pure). A filter is conditions on a subscriber's
 * fields joined by `and`, `or`, `not` and parentheses:
 *
 *   country = "NL" and last_order_at > now - 90d and not tags contains "vip"
 *
 * A condition is `field op value` (`=`, `!=`, `<`, `<=`, `>`, `>=`), `field contains value`,
 * `field in (value, …)` or `field exists`. Values are strings in double or single quotes, numbers,
 * `true`/`false`, or a time: `now`, `now - 90d`, `now + 2h` (units m, h, d, w). Keywords are case
 * insensitive; field names are letters, digits and `_`. Nothing of the text reaches SQL: the
 * compiler (filter-compile.ts) binds every value and every attribute name as a parameter.
 * Bad input is a FilterError naming the position (1-based) of what is wrong.
 */

export const MAX_FILTER_LENGTH = 2000;
const MAX_CONDITIONS = 50;
const MAX_DEPTH = 20;
const MAX_DURATION_MS = 100 * 365 * 86_400_000;

export type Comparison = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Literal =
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; position: number }
  | { kind: 'boolean'; value: boolean; position: number }
  /** `now` plus `offsetMs` (negative for `now - …`): a time relative to when the filter runs. */
  | { kind: 'now'; offsetMs: number; position: number };

export interface FieldRef {
  name: string;
  position: number;
}

export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'compare'; field: FieldRef; comparison: Comparison; value: Literal }
  | { op: 'contains'; field: FieldRef; value: Literal }
  | { op: 'in'; field: FieldRef; values: Literal[] }
  | { op: 'exists'; field: FieldRef };

/** A filter that cannot be read or used: the sentence names the position. An invalid input (400). */
export class FilterError extends AppError {
  readonly position: number;
  constructor(message: string, position: number) {
    super('invalid_input', `${message} at position ${position}`, { position });
    this.name = 'FilterError';
    this.position = position;
  }
}

type Token =
  | { type: 'word'; text: string; position: number }
  | { type: 'string'; value: string; position: number }
  | { type: 'number'; value: number; text: string; position: number }
  | { type: 'duration'; ms: number; text: string; position: number }
  | { type: 'symbol'; text: string; position: number }
  | { type: 'end'; position: number };

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SYMBOLS = ['!=', '<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '+', '-'];
const KEYWORDS = new Set(['and', 'or', 'not', 'contains', 'in', 'exists', 'now', 'true', 'false']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const position = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new FilterError('A text value is not closed (a quote is missing)', position);
        const d = text[j] as string;
        if (d === c) break;
        if (d === '\\') {
          const next = text[j + 1];
          if (next !== '\\' && next !== '"' && next !== "'")
            throw new FilterError('Only \\\\, \\" and \\\' are escapes in a text value', j + 1);
          value += next;
          j += 2;
          continue;
        }
        if (d.charCodeAt(0) < 0x20) throw new FilterError('A text value may not hold a control character', j + 1);
        value += d;
        j++;
      }
      tokens.push({ type: 'string', value, position });
      i = j + 1;
      continue;
    }
    const number = /^\d+(\.\d+)?([a-zA-Z_]\w*)?/.exec(text.slice(i));
    if (number) {
      const [whole, , suffix] = number;
      if (suffix !== undefined) {
        const unit = UNIT_MS[suffix];
        if (unit === undefined || number[1] !== undefined)
          throw new FilterError(`"${whole}" is not a number or a duration (like 90d, 2h, 30m, 1w)`, position);
        const ms = Number(whole.slice(0, -suffix.length)) * unit;
        if (ms > MAX_DURATION_MS) throw new FilterError(`"${whole}" is longer than 100 years`, position);
        tokens.push({ type: 'duration', ms, text: whole, position });
      } else {
        const value = Number(whole);
        if (!Number.isFinite(value) || whole.length > 20)
          throw new FilterError(`"${whole}" is too large a number`, position);
        tokens.push({ type: 'number', value, text: whole, position });
      }
      i += whole.length;
      continue;
    }
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i));
    if (word) {
      tokens.push({ type: 'word', text: word[0], position });
      i += word[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol === undefined) throw new FilterError(`Unexpected "${c}"`, position);
    tokens.push({ type: 'symbol', text: symbol === '<>' ? '!=' : symbol, position });
    i += symbol.length;
  }
  tokens.push({ type: 'end', position: text.length + 1 });
  return tokens;
}

const describe = (t: Token): string =>
  t.type === 'end' ? 'the end of the filter' : t.type === 'string' ? `the text "${t.value}"` : `"${t.text}"`;

/** Reads a filter; throws a FilterError naming the position of the first problem. */
export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH)
    throw new FilterError(`A filter is at most ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH + 1);
  const tokens = tokenize(text);
  if (tokens.length === 1) throw new FilterError('The filter is empty: write a condition like country = "NL"', 1);
  let at = 0;
  let conditions = 0;
  const peek = (): Token => tokens[at] as Token;
  const next = (): Token => tokens[at++] as Token;
  const isWord = (t: Token, w: string) => t.type === 'word' && t.text.toLowerCase() === w;
  const isSymbol = (t: Token, s: string) => t.type === 'symbol' && t.text === s;
  const expect = (s: string) => {
    const t = next();
    if (!isSymbol(t, s)) throw new FilterError(`Expected "${s}" but found ${describe(t)}`, t.position);
  };

  function or(depth: number): Filter {
    let left = and(depth);
    while (isWord(peek(), 'or')) {
      next();
      left = { op: 'or', left, right: and(depth) };
    }
    return left;
  }
  function and(depth: number): Filter {
    let left = unary(depth);
    while (isWord(peek(), 'and')) {
      next();
      left = { op: 'and', left, right: unary(depth) };
    }
    return left;
  }
  function unary(depth: number): Filter {
    const t = peek();
    if (depth > MAX_DEPTH) throw new FilterError(`A filter nests at most ${MAX_DEPTH} deep`, t.position);
    if (isWord(t, 'not')) {
      next();
      return { op: 'not', filter: unary(depth + 1) };
    }
    if (isSymbol(t, '(')) {
      next();
      const inner = or(depth + 1);
      expect(')');
      return inner;
    }
    return condition();
  }
  function condition(): Filter {
    const t = next();
    if (t.type !== 'word' || KEYWORDS.has(t.text.toLowerCase()))
      throw new FilterError(`Expected a field name (like country) but found ${describe(t)}`, t.position);
    if (++conditions > MAX_CONDITIONS)
      throw new FilterError(`A filter has at most ${MAX_CONDITIONS} conditions`, t.position);
    const field = { name: t.text, position: t.position };
    const o = next();
    if (isWord(o, 'exists')) return { op: 'exists', field };
    if (isWord(o, 'contains')) return { op: 'contains', field, value: literal() };
    if (isWord(o, 'in')) {
      expect('(');
      const values = [literal()];
      while (isSymbol(peek(), ',')) {
        next();
        values.push(literal());
      }
      expect(')');
      return { op: 'in', field, values };
    }
    if (o.type === 'symbol' && ['=', '!=', '<', '<=', '>', '>='].includes(o.text))
      return { op: 'compare', field, comparison: o.text as Comparison, value: literal() };
    throw new FilterError(
      `Expected a comparison (=, !=, <, <=, >, >=, contains, in, exists) after ${field.name} but found ${describe(o)}`,
      o.position,
    );
  }
  function literal(): Literal {
    const t = next();
    if (t.type === 'string') return { kind: 'string', value: t.value, position: t.position };
    if (t.type === 'number') return { kind: 'number', value: t.value, position: t.position };
    if (isSymbol(t, '-') && peek().type === 'number') {
      const n = next() as Extract<Token, { type: 'number' }>;
      return { kind: 'number', value: -n.value, position: t.position };
    }
    if (isWord(t, 'true') || isWord(t, 'false'))
      return { kind: 'boolean', value: isWord(t, 'true'), position: t.position };
    if (isWord(t, 'now')) {
      const sign = peek();
      if (!isSymbol(sign, '+') && !isSymbol(sign, '-')) return { kind: 'now', offsetMs: 0, position: t.position };
      next();
      const d = next();
      if (d.type !== 'duration')
        throw new FilterError(`Expected a duration (like 90d, 2h, 30m, 1w) but found ${describe(d)}`, d.position);
      return { kind: 'now', offsetMs: isSymbol(sign, '-') ? -d.ms : d.ms, position: t.position };
    }
    throw new FilterError(
      `Expected a value (a "text", a number, true, false or now - 90d) but found ${describe(t)}`,
      t.position,
    );
  }

  const filter = or(0);
  const rest = peek();
  if (rest.type !== 'end')
    throw new FilterError(`Expected "and", "or" or the end of the filter but found ${describe(rest)}`, rest.position);
  return filter;
}
