import { invalidInput } from '../shared/app-error.js';

/**
 * Subscriber attributes (pure): the types a list may declare for them, and how a value given as
 * text (the CLI's `--attr key=value`, a CSV cell) or as JSON (the API) becomes the JSON value that
 * is stored in subscribers.attributes. Dates are stored as ISO 8601 text in UTC, which sorts as
 * time does; lists as arrays of text.
 */
export const ATTRIBUTE_TYPES = ['string', 'number', 'date', 'boolean', 'list'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** Names a list can declare a type for (and a filter can name): letters, digits and `_`, a letter first. */
export const DECLARED_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Any attribute's name (as the API, the CSV import and the form have always taken them). */
const ANY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Fields every subscriber has; an attribute may not take their names. */
export const BUILT_IN_FIELDS: Readonly<Record<string, 'string' | 'date'>> = {
  email: 'string',
  name: 'string',
  created_at: 'date',
  confirmed_at: 'date',
};
export type StoredValue = string | number | boolean | string[];

const MAX_TEXT = 1000;
const MAX_LIST = 100;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** An attribute's name; `declared`: one a list declares a type for, which filters can name. */
export function checkAttributeName(name: string, declared = false): string {
  if (declared && !DECLARED_NAME.test(name))
    throw invalidInput(
      `"${name.slice(0, 80)}" cannot have a declared type: use letters, digits and _ (a letter first, at most 64).`,
    );
  if (!ANY_NAME.test(name))
    throw invalidInput(`"${name.slice(0, 80)}" is not an attribute name: use 1-64 letters, digits, _ . or -.`);
  if (['__proto__', 'constructor', 'prototype'].includes(name))
    throw invalidInput(`"${name}" cannot be an attribute's name.`);
  if (Object.hasOwn(BUILT_IN_FIELDS, name))
    throw invalidInput(`"${name}" is a field every subscriber has, not an attribute.`);
  return name;
}

export function isAttributeType(value: string): value is AttributeType {
  return (ATTRIBUTE_TYPES as readonly string[]).includes(value);
}

/** A date or date-time in ISO 8601 (a date alone, or no zone: UTC) as epoch milliseconds, or undefined. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', ms = '0', zone = 'Z'] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms.padEnd(3, '0')}${zone}`;
  const time = Date.parse(iso);
  // Date.parse rolls 2025-02-30 over to March: refuse what does not name a real day.
  if (!Number.isFinite(time) || new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDate() !== Number(d))
    return undefined;
  return time;
}

/** A value given as text, as the type wants it stored; a sentence naming the attribute when it does not fit. */
export function attributeFromText(name: string, type: AttributeType, text: string): StoredValue {
  const value = text.trim();
  switch (type) {
    case 'number': {
      // Decimal only: Number() would also read 0x10, 0b101 and " 5 ".
      const n = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw invalidInput(`${name} is a number; "${value.slice(0, 80)}" is not.`);
      return n;
    }
    case 'boolean': {
      const v = value.toLowerCase();
      if (['true', 'yes', '1'].includes(v)) return true;
      if (['false', 'no', '0'].includes(v)) return false;
      throw invalidInput(`${name} is true or false; "${value.slice(0, 80)}" is neither.`);
    }
    case 'date': {
      const ms = parseIsoDate(value);
      if (ms === undefined)
        throw invalidInput(
          `${name} is a date like 2025-03-31 or 2025-03-31T14:00:00Z; "${value.slice(0, 80)}" is not.`,
        );
      return new Date(ms).toISOString();
    }
    case 'list':
      return checkList(name, value === '' ? [] : value.split(',').map((v) => v.trim()));
    default:
      return checkText(name, text);
  }
}

/** A value given as JSON (the API), as the type wants it stored; text is read as attributeFromText does. */
export function attributeFromJson(name: string, type: AttributeType, value: unknown): StoredValue {
  if (type === 'list' && Array.isArray(value)) {
    if (!value.every((v): v is string => typeof v === 'string')) throw invalidInput(`${name} is a list of texts.`);
    return checkList(name, value);
  }
  if (type === 'number' && typeof value === 'number' && Number.isFinite(value)) return value;
  if (type === 'boolean' && typeof value === 'boolean') return value;
  if (typeof value === 'string') return attributeFromText(name, type, value);
  if (typeof value === 'number' && !Number.isFinite(value)) throw invalidInput(`${name} is too large a number.`);
  throw invalidInput(
    `${name} is ${type === 'list' ? 'a list of texts' : `a ${type}`}; ${JSON.stringify(value)?.slice(0, 80)} is not.`,
  );
}

/** The type a value without a declared type is kept as: what JSON says it is (text from the CLI stays text). */
export function untypedFromJson(name: string, value: unknown): StoredValue {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return checkText(name, value);
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return checkList(name, value);
  throw invalidInput(`${name} must be a text, a number, true or false, or a list of texts.`);
}

function checkText(name: string, text: string): string {
  if (text.length > MAX_TEXT) throw invalidInput(`${name} is at most ${MAX_TEXT} characters.`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
    throw invalidInput(`${name} holds a control character.`);
  return text;
}

function checkList(name: string, items: string[]): string[] {
  if (items.length > MAX_LIST) throw invalidInput(`${name} holds at most ${MAX_LIST} items.`);
  return [...new Set(items.filter((i) => i !== '').map((i) => checkText(name, i)))];
}
