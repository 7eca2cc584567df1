import type { Database, Db } from '../db/database.js';
import type { SubscriberRow } from '../db/schema.js';
import { readCsv } from '../subscribers/csv-reader.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import { parseAddress } from '../consent/people.service.js';
import { parseSlug } from '../lists/list-input.js';
import type { ListsService } from '../lists/lists.service.js';
import {
  attributeTypesForSubscriber,
  attributeTypesOf,
  declareAttribute,
  forgetAttribute,
} from '../lists/list-attributes.repo.js';
import { invalidInput, isAppError, notFound } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import {
  attributeFromJson,
  attributeFromText,
  checkAttributeName,
  isAttributeType,
  untypedFromJson,
  ATTRIBUTE_TYPES,
  type AttributeType,
  type StoredValue,
} from '../subscribers/attribute-values.js';
import { findSubscriberByKey, setAttributes } from '../subscribers/subscribers.repo.js';

const MAX_ATTRIBUTES = 100;
const asText = (input: unknown): string => (typeof input === 'string' ? input : '');

/** The header of an attribute update file: where the email is, and each column's attribute name. */
function csvColumns(header: readonly string[]): { email: number; names: string[] } {
  const names = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  const email = names.findIndex((n) => n.toLowerCase() === 'email');
  if (email < 0) throw invalidInput('line 1: the header row needs an "email" column (email,attribute,…).');
  names.forEach((n, i) => {
    if (i === email) return;
    try {
      checkAttributeName(n);
    } catch (error) {
      throw invalidInput(`line 1: column ${i + 1}: ${(error as Error).message}`);
    }
    if (names.indexOf(n) !== i) throw invalidInput(`line 1: the column "${n}" appears twice.`);
  });
  return { email, names };
}

/** Merges `values` into a subscriber's attributes (checked against their lists' types) and stores them. */
async function apply(
  db: Db,
  subscriber: SubscriberRow,
  values: Record<string, unknown>,
  from: 'text' | 'json',
  now: number,
): Promise<Record<string, StoredValue>> {
  const entries = Object.entries(values);
  const declaredTypes = new Map<string, { type: AttributeType; list: string }>();
  for (const row of await attributeTypesForSubscriber(db, subscriber.id)) {
    const other = declaredTypes.get(row.name);
    if (other && other.type !== row.type && entries.some(([k]) => k === row.name))
      throw invalidInput(
        `${row.name} is ${other.type} on ${other.list} and ${row.type} on ${row.list}; make the two lists agree first.`,
      );
    declaredTypes.set(row.name, { type: row.type, list: row.list });
  }
  const attributes = JSON.parse(subscriber.attributes) as Record<string, StoredValue>;
  for (const [key, value] of entries) {
    const name = checkAttributeName(key);
    if (value === null || (from === 'text' && value === '')) {
      delete attributes[name];
      continue;
    }
    const type = declaredTypes.get(name)?.type;
    attributes[name] =
      from === 'text'
        ? attributeFromText(name, type ?? 'string', asText(value))
        : type
          ? attributeFromJson(name, type, value)
          : untypedFromJson(name, value);
  }
  if (Object.keys(attributes).length > MAX_ATTRIBUTES)
    throw invalidInput(`A subscriber has at most ${MAX_ATTRIBUTES} attributes.`);
  await setAttributes(db, subscriber.id, JSON.stringify(attributes), now);
  return attributes;
}

/**
 * Subscriber attributes: the types each list declares, and updates checked against them. A value
 * given as text (CLI, CSV) or JSON (API) is stored as its declared type wants it; an attribute no
 * list of the person declares keeps the type it came with. Attributes belong to the person, so
 * where two of their lists declare one name with different types the update is refused.
 */
export function createAttributesService(deps: { database: Database; lists: ListsService; clock?: Clock }) {
  const { db } = deps.database;
  const clock = deps.clock ?? systemClock;

  async function declared(listInput: unknown) {
    const list = await deps.lists.requireList(parseSlug(listInput));
    return { list, types: await attributeTypesOf(db, list.id) };
  }

  return {
    async types(
      listInput: unknown,
    ): Promise<{ list: string; attributes: Array<{ name: string; type: AttributeType }> }> {
      const { list, types } = await declared(listInput);
      return { list: list.slug, attributes: [...types].map(([name, type]) => ({ name, type })) };
    },

    async declare(listInput: unknown, nameInput: unknown, typeInput: unknown) {
      const name = checkAttributeName(asText(nameInput), true);
      const type = asText(typeInput);
      if (!isAttributeType(type)) throw invalidInput(`An attribute's type is one of ${ATTRIBUTE_TYPES.join(', ')}.`);
      const { list, types } = await declared(listInput);
      if (!types.has(name) && types.size >= MAX_ATTRIBUTES)
        throw invalidInput(`A list declares at most ${MAX_ATTRIBUTES} attributes.`);
      await declareAttribute(db, list.id, name, type, clock.now());
      return { list: list.slug, name, type };
    },

    async forget(listInput: unknown, nameInput: unknown) {
      const { list } = await declared(listInput);
      const name = asText(nameInput);
      if (!(await forgetAttribute(db, list.id, name)))
        throw notFound(`The list ${list.slug} declares no attribute "${name.slice(0, 80)}".`);
      return { list: list.slug, forgotten: name };
    },

    /**
     * Sets (or, with null from JSON or an empty text, removes) attributes of one subscriber; the
     * attributes afterwards. `from: 'text'` reads every value as text the way the CLI gives it.
     */
    async update(
      email: unknown,
      values: Record<string, unknown>,
      from: 'text' | 'json',
    ): Promise<{ email: string; attributes: Record<string, StoredValue> }> {
      const address = parseAddress(email);
      const subscriber = await findSubscriberByKey(db, address.key);
      if (!subscriber) throw notFound(`There is no subscriber ${address.email}.`);
      if (Object.keys(values).length === 0)
        throw invalidInput('Give at least one attribute to set, e.g. --attr country=NL.');
      const attributes = await apply(db, subscriber, values, from, clock.now());
      return { email: subscriber.email, attributes };
    },

    /**
     * Updates the attributes of many subscribers from a CSV file: an `email` column and one column
     * per attribute; an empty cell leaves that attribute as it is. A row that cannot be used is
     * reported with its line and skipped; the others are written one transaction per chunk of the file
     * read (64 KB).
     */
    async updateFromCsv(
      input: AsyncIterable<string | Buffer>,
      onBadRow?: (line: number, reason: string) => void,
    ): Promise<{ rows: number; updated: number; unknown: number; invalid: number }> {
      const report = { rows: 0, updated: 0, unknown: 0, invalid: 0 };
      let columns: { email: number; names: string[] } | undefined;
      const bad = (line: number, reason: string, unknown = false) => {
        if (unknown) report.unknown++;
        else report.invalid++;
        onBadRow?.(line, reason);
      };
      for await (const items of readCsv(input)) {
        await deps.database.transaction(async (trx) => {
          for (const item of items) {
            if (!columns) {
              if (!item.ok) throw invalidInput(`line ${item.line}: the header row is not valid CSV: ${item.reason}.`);
              columns = csvColumns(item.record);
              continue;
            }
            report.rows++;
            if (!item.ok) {
              bad(item.line, `not valid CSV: ${item.reason}`);
              continue;
            }
            if (item.record.length !== columns.names.length) {
              bad(item.line, `expected ${columns.names.length} columns, found ${item.record.length}`);
              continue;
            }
            const check = normaliseEmail(item.record[columns.email]);
            if (!check.ok) {
              bad(item.line, check.reason);
              continue;
            }
            const subscriber = await findSubscriberByKey(trx, check.address.key);
            if (!subscriber) {
              bad(item.line, `there is no subscriber ${check.address.email}`, true);
              continue;
            }
            const values: Record<string, string> = {};
            columns.names.forEach((name, i) => {
              const cell = item.record[i] ?? '';
              if (i !== columns?.email && cell !== '') values[name] = cell;
            });
            if (Object.keys(values).length === 0) continue;
            try {
              await apply(trx, subscriber, values, 'text', clock.now());
              report.updated++;
            } catch (error) {
              if (!isAppError(error)) throw error;
              bad(item.line, error.message.replace(/\.$/, ''));
            }
          }
        });
      }
      if (!columns) throw invalidInput('The file is empty: it needs a header row such as "email,country".');
      return report;
    },
  };
}

export type AttributesService = ReturnType<typeof createAttributesService>;
