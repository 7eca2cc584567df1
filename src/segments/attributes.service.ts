import type { Database } from '../db/database.js';
import { parseAddress } from '../consent/people.service.js';
import { parseSlug } from '../lists/list-input.js';
import type { ListsService } from '../lists/lists.service.js';
import {
  attributeTypesForSubscriber,
  attributeTypesOf,
  declareAttribute,
  forgetAttribute,
} from '../lists/list-attributes.repo.js';
import { invalidInput, notFound } from '../shared/app-error.js';
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
      const name = checkAttributeName(asText(nameInput));
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
     * attributes afterwards. `from: 'text'` reads every value as text the way the CLI and CSV give it.
     */
    async update(
      email: unknown,
      values: Record<string, unknown>,
      from: 'text' | 'json',
    ): Promise<{ email: string; attributes: Record<string, StoredValue> }> {
      const address = parseAddress(email);
      const subscriber = await findSubscriberByKey(db, address.key);
      if (!subscriber) throw notFound(`There is no subscriber ${address.email}.`);
      const entries = Object.entries(values);
      if (entries.length === 0) throw invalidInput('Give at least one attribute to set, e.g. --attr country=NL.');
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
      await setAttributes(db, subscriber.id, JSON.stringify(attributes), clock.now());
      return { email: subscriber.email, attributes };
    },
  };
}

export type AttributesService = ReturnType<typeof createAttributesService>;
