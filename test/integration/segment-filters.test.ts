import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertSubscriptionsBulk } from '../../src/consent/consent.repo.js';
import type { Database } from '../../src/db/database.js';
import { declareAttribute } from '../../src/lists/list-attributes.repo.js';
import { insertList } from '../../src/lists/lists.repo.js';
import { filterCondition } from '../../src/segments/filter-sql.repo.js';
import { FilterError, parseFilter } from '../../src/segments/filter-parse.js';
import { checkFilter, type TypedFilter, type TypedValue } from '../../src/segments/filter-types.js';
import { countAudience } from '../../src/segments/segments.repo.js';
import { createChunkedCounter } from '../../src/db/chunked-count.js';
import type { AttributeType } from '../../src/subscribers/attribute-values.js';
import { upsertSubscribersBulk } from '../../src/subscribers/subscribers.repo.js';
import { DIALECTS, migratedDatabase } from '../helpers/databases.js';

// The filter language against real SQLite and PostgreSQL: random filters counted in SQL must equal
// the same filters evaluated in JavaScript over the same people (an oracle written from the
// documented rules), and mangled filters must fail as a FilterError naming a position inside the
// text, never as an SQL error.

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
const TYPES = new Map<string, AttributeType>([
  ['country', 'string'],
  ['spend', 'number'],
  ['last_order_at', 'date'],
  ['vip', 'boolean'],
  ['tags', 'list'],
]);

/** A small seeded generator, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick, int: (n: number) => Math.floor(next() * n) };
}

interface Person {
  email: string;
  name: string | null;
  created_at: number;
  confirmed_at: number | null;
  confirmed: boolean;
  attributes: Record<string, unknown>;
}

const COUNTRIES = ['NL', 'BE', 'DE', 'nl', 'Ö', "O'Brien", '', 'Say "hi"', 'back\\slash', '🇳🇱'];
const TAGS = ['vip', 'sale', 'b2b', 'Vip', "x'y"];

function people(count: number): Person[] {
  const r = prng(42);
  const out: Person[] = [];
  for (let i = 0; i < count; i++) {
    const a: Record<string, unknown> = {};
    if (r.next() < 0.8) a.country = r.next() < 0.9 ? r.pick(COUNTRIES) : 31; // sometimes the wrong type
    if (r.next() < 0.7) a.spend = r.next() < 0.9 ? Math.round(r.next() * 50000) / 100 : 'lots';
    if (r.next() < 0.7) a.last_order_at = new Date(NOW - r.int(400) * DAY - r.int(DAY)).toISOString();
    if (r.next() < 0.6) a.vip = r.next() < 0.9 ? r.next() < 0.5 : 'yes';
    if (r.next() < 0.7) a.tags = r.next() < 0.9 ? TAGS.filter(() => r.next() < 0.4) : 'vip';
    if (r.next() < 0.5) a.city = r.next() < 0.8 ? r.pick(['Delft', 'Gent', 'Köln']) : 7;
    if (r.next() < 0.05) a.country = null;
    out.push({
      email: `p${i}@${r.pick(['shop.test', 'example.test', 'mail.test'])}`,
      name: r.next() < 0.8 ? r.pick(['Ann', 'Bob', 'Zoë', 'ann']) : null,
      created_at: NOW - r.int(1000) * DAY,
      confirmed_at: NOW - r.int(500) * DAY,
      confirmed: r.next() < 0.9,
      attributes: a,
    });
  }
  return out;
}

/** The documented rules, in JavaScript: a condition on a missing or differently typed value is false. */
function evaluate(f: TypedFilter, p: Person): boolean {
  const own = (field: string): unknown => (Object.hasOwn(p.attributes, field) ? p.attributes[field] : undefined);
  const compare = (a: string | number, b: string | number, c: string) =>
    c === '=' ? a === b : c === '!=' ? a !== b : c === '<' ? a < b : c === '<=' ? a <= b : c === '>' ? a > b : a >= b;
  const builtIn = (field: string): unknown =>
    field === 'email' ? p.email : field === 'name' ? p.name : field === 'created_at' ? p.created_at : p.confirmed_at;
  const stored = (v: TypedValue, isBuiltIn: boolean) =>
    v.type === 'date' ? (isBuiltIn ? v.ms : new Date(v.ms).toISOString()) : v.value;
  const fits = (actual: unknown, v: TypedValue, isBuiltIn: boolean) =>
    v.type === 'number' || (v.type === 'date' && isBuiltIn) ? typeof actual === 'number' : typeof actual === 'string';
  switch (f.op) {
    case 'and':
      return evaluate(f.left, p) && evaluate(f.right, p);
    case 'or':
      return evaluate(f.left, p) || evaluate(f.right, p);
    case 'not':
      return !evaluate(f.filter, p);
    case 'exists':
      return f.builtIn ? builtIn(f.field) !== null : own(f.field) !== undefined && own(f.field) !== null;
    case 'is':
      return own(f.field) === f.value;
    case 'contains': {
      const actual = f.builtIn ? builtIn(f.field) : own(f.field);
      if (f.of === 'list') return Array.isArray(actual) && actual.includes(f.value);
      return typeof actual === 'string' && actual.includes(f.value);
    }
    case 'compare': {
      const actual = f.builtIn ? builtIn(f.field) : own(f.field);
      if (!fits(actual, f.value, f.builtIn)) return false;
      return compare(actual as string | number, stored(f.value, f.builtIn) as string | number, f.comparison);
    }
    case 'in': {
      const actual = f.builtIn ? builtIn(f.field) : own(f.field);
      return f.values.some((v) => fits(actual, v, f.builtIn) && actual === stored(v, f.builtIn));
    }
  }
}

/** A random filter that reads (the fields, operators and values people use). */
function randomFilter(r: ReturnType<typeof prng>, depth = 0): string {
  if (depth < 3 && r.next() < 0.35)
    return `(${randomFilter(r, depth + 1)} ${r.pick(['and', 'or', 'AND'])} ${randomFilter(r, depth + 1)})`;
  if (depth < 3 && r.next() < 0.1) return `not ${randomFilter(r, depth + 1)}`;
  const sign = () => r.pick(['=', '!=', '<', '<=', '>', '>=', '<>']);
  const quoted = (s: string) => {
    const escaped = s.replace(/\\/g, '\\\\');
    return r.next() < 0.5 ? `"${escaped.replace(/"/g, '\\"')}"` : `'${escaped.replace(/'/g, "\\'")}'`;
  };
  switch (r.int(11)) {
    case 0:
      return `country ${sign()} ${quoted(r.pick(COUNTRIES))}`;
    case 1:
      return `country in (${[r.pick(COUNTRIES), r.pick(COUNTRIES)].map(quoted).join(', ')})`;
    case 2:
      return `spend ${sign()} ${r.pick(['0', '100', '250.5', '-1', '499.99'])}`;
    case 3:
      return `last_order_at ${sign()} now - ${r.pick(['30d', '90d', '2w', '36h', '600m'])}`;
    case 4:
      return `last_order_at ${sign()} "2026-0${1 + r.int(5)}-1${r.int(9)}"`;
    case 5:
      return `vip ${r.pick(['=', '!='])} ${r.pick(['true', 'false'])}`;
    case 6:
      return `tags contains ${quoted(r.pick(TAGS))}`;
    case 7:
      return `${r.pick(['country', 'spend', 'tags', 'vip', 'city', 'name', 'nothing'])} exists`;
    case 8:
      return `city ${r.pick(['=', '!=', '>'])} ${r.next() < 0.7 ? quoted(r.pick(['Delft', 'Köln', 'Gent'])) : '7'}`;
    case 9:
      return `${r.pick(['email', 'name'])} ${r.pick(['contains', '=', '>=', 'in'])} ${r.pick(['shop', 'Ann', 'p1@shop.test'].map(quoted))}`.replace(
        /in (".*"|'.*')$/,
        'in ($1)',
      );
    default:
      return `${r.pick(['created_at', 'confirmed_at'])} ${sign()} now - ${r.int(900)}d`;
  }
}

for (const dialect of DIALECTS) {
  describe(`segment filters in SQL on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: Database;
    let cleanup: () => Promise<void>;
    let url = '';
    let listId = 0;
    const everyone = people(400);
    const confirmed = everyone.filter((p) => p.confirmed);

    before(async () => {
      ({ database, cleanup, url } = await migratedDatabase(dialect));
      const { db } = database;
      listId = await insertList(
        db,
        {
          slug: 'news',
          name: 'News',
          fromName: null,
          fromAddress: 'news@shop.test',
          replyTo: null,
          allowedOrigins: [],
          language: 'en',
          browserLanguage: false,
          brand: '{}',
        },
        NOW,
      );
      for (const [name, type] of TYPES) await declareAttribute(db, listId, name, type, NOW);
      // Each person keeps their own created_at: one insert per person.
      for (const p of everyone) {
        const ids = await upsertSubscribersBulk(
          db,
          database.dialect,
          [{ email: p.email, key: p.email, name: p.name, attributes: JSON.stringify(p.attributes) }],
          p.created_at,
        );
        await insertSubscriptionsBulk(
          db,
          database.dialect,
          listId,
          [
            {
              subscriberId: ids.get(p.email) as number,
              status: p.confirmed ? 'confirmed' : 'pending',
              confirmedAt: p.confirmed_at,
              repermissionAt: null,
            },
          ],
          p.created_at,
        );
      }
    });
    after(async () => cleanup());

    const count = async (text: string) =>
      countAudience(
        database.db,
        listId,
        filterCondition(parseFilter(text), { dialect: database.dialect, now: NOW, types: TYPES }),
      );
    const expected = (text: string) =>
      confirmed.filter((p) => evaluate(checkFilter(parseFilter(text), TYPES, NOW), p)).length;

    it('counts the written examples as the rules say', async () => {
      for (const text of [
        'country = "NL"',
        'country = "NL" and last_order_at > now - 90d and not tags contains "vip"',
        'not (country = "NL")',
        'country != "NL"',
        'vip = true',
        'vip != true',
        'spend >= 100 and spend < 250.5',
        "country = 'O\\'Brien'",
        'city = "Köln" or city = 7',
        'email contains "@shop.test" and name exists',
        'last_order_at >= "2026-03-01" and last_order_at < "2026-04-01T00:00:00Z"',
        'created_at > now - 200d',
        'spend in (0, 100, 250.5)',
        'tags exists and not tags contains "sale"',
        'constructor = "x" or __proto__ exists or toString > 1',
      ]) {
        const want = expected(text);
        assert.equal(await count(text), want, text);
      }
      // The oracle is not trivial: the examples select different, non-empty parts of the list.
      assert.ok(expected('country = "NL"') > 10 && expected('country = "NL"') < confirmed.length / 2);
      assert.equal(expected('not (country = "NL")') + expected('country = "NL"'), confirmed.length);
      assert.ok(expected('country != "NL"') < expected('not (country = "NL")'), 'a missing country is not "!="');
    });

    it('counts 300 random filters exactly as the rules say', async () => {
      const r = prng(7);
      for (let i = 0; i < 300; i++) {
        const text = randomFilter(r);
        assert.equal(await count(text), expected(text), text);
      }
    });

    // SQLite files only: PostgreSQL plans its own parallel reads.
    if (dialect.name === 'sqlite')
      it('counts in chunks on reader threads exactly as on one connection', async () => {
        // The same 120 random filters, each split into chunks of about 50 subscriber ids on two threads.
        const counter = createChunkedCounter(url.slice('sqlite:'.length), 2);
        try {
          const r = prng(13);
          for (let i = 0; i < 120; i++) {
            const text = randomFilter(r);
            const where = filterCondition(parseFilter(text), { dialect: database.dialect, now: NOW, types: TYPES });
            assert.equal(await countAudience(database.db, listId, where, counter, 0), expected(text), text);
          }
          assert.equal(await countAudience(database.db, listId, undefined, counter, 0), confirmed.length);
        } finally {
          await counter.close();
        }
      });

    it('answers mangled filters with a position, never an SQL error', async () => {
      const r = prng(11);
      const noise = [
        '"',
        "'",
        '(',
        ')',
        '\\',
        ';',
        '--',
        '/*',
        ' or 1=1',
        '$',
        '%',
        '\u0000',
        'drop',
        '9999999999999999999999',
        'now -',
        ',',
        '==',
      ];
      let refused = 0;
      let counted = 0;
      for (let i = 0; i < 400; i++) {
        let text = randomFilter(r);
        for (let k = 1 + r.int(3); k > 0; k--) {
          const at = r.int(text.length + 1);
          text =
            r.next() < 0.5
              ? text.slice(0, at) + r.pick(noise) + text.slice(at)
              : text.slice(0, at) + text.slice(at + 1 + r.int(4));
        }
        try {
          const n = await count(text);
          assert.equal(n, expected(text), text);
          counted++;
        } catch (error) {
          assert.ok(error instanceof FilterError, `${JSON.stringify(text)}: ${String(error)}`);
          assert.ok(
            error.position >= 1 && error.position <= text.length + 1,
            `${JSON.stringify(text)}: ${error.message}`,
          );
          assert.match(error.message, / at position \d+$/);
          refused++;
        }
      }
      assert.ok(refused > 100 && counted > 20, `refused ${refused}, counted ${counted}`);
    });

    it('names what is wrong and where', () => {
      const cases: Array<[string, RegExp, number]> = [
        ['country = ', /Expected a value/, 11],
        ['country = "NL" and', /Expected a field name/, 19],
        ['country == "NL"', /Expected a value/, 10],
        ['spend > "ten"', /spend is a number, not a text/, 9],
        ['tags = "vip"', /tags is a list; use tags contains/, 1],
        ['vip > true', /compare it with = or !=/, 1],
        ['last_order_at > "last week"', /last_order_at is a date/, 17],
        ['country = "NL', /not closed/, 11],
        ['(country = "NL"', /Expected "\)"/, 16],
        ['country = "NL" extra', /Expected "and", "or" or the end/, 16],
        ['now = 1', /Expected a field name/, 1],
        ['x > now - 90x', /"90x" is not a number or a duration/, 11],
        ['', /empty/, 1],
        ['a = 1; drop table subscribers', /Unexpected ";"/, 6],
      ];
      for (const [text, message, position] of cases) {
        assert.throws(
          () => checkFilter(parseFilter(text), TYPES, NOW),
          (e: unknown) => e instanceof FilterError && message.test(e.message) && e.position === position,
          text,
        );
      }
    });
  });
}
