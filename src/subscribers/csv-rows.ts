import { isIP } from 'node:net';
import { attributeFromText, type AttributeType, type StoredValue } from './attribute-values.js';
import { normaliseEmail } from './email-address.js';

/** Pure rules for one CSV import row: header checks and row validation with line-numbered reasons. */

export interface ImportColumns {
  email: number;
  name: number | undefined;
  confirmedAt: number | undefined;
  confirmIp: number | undefined;
  /** Other columns become attributes, by header name. */
  attributes: Array<{ index: number; name: string }>;
  count: number;
}

export interface ImportRow {
  line: number;
  email: string;
  key: string;
  name: string | null;
  attributes: string;
  confirmedAt: number | null;
  confirmIp: string | null;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const EARLIEST = Date.UTC(1990, 0, 1);

/** Reads the header row; throws a sentence when required columns are missing. */
export function parseHeader(
  header: readonly string[],
  withProof: boolean,
  options: { skipUnnamed?: boolean } = {},
): ImportColumns {
  const names = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim().toLowerCase());
  const find = (name: string) => {
    const i = names.indexOf(name);
    return i < 0 ? undefined : i;
  };
  const email = find('email');
  if (email === undefined)
    throw new Error('line 1: the header row needs an "email" column (email[,name][,attributes…]).');
  const duplicate = names.find((n, i) => n !== '' && names.indexOf(n) !== i);
  if (duplicate) throw new Error(`line 1: the column "${duplicate}" appears twice.`);
  const confirmedAt = find('confirmed_at');
  const confirmIp = find('confirm_ip');
  if (withProof && (confirmedAt === undefined || confirmIp === undefined)) {
    throw new Error(
      'line 1: --with-proof needs the columns "confirmed_at" and "confirm_ip" (when and from which IP each person confirmed).',
    );
  }
  const reserved = new Set(['email', 'name', 'confirmed_at', 'confirm_ip']);
  const attributes: ImportColumns['attributes'] = [];
  names.forEach((n, index) => {
    if (reserved.has(n) || (options.skipUnnamed && n === '')) return;
    if (!ATTRIBUTE_NAME.test(n))
      throw new Error(
        `line 1: column ${index + 1} ("${n.slice(0, 40)}") is not a valid attribute name (letters, digits, . _ -).`,
      );
    attributes.push({ index, name: n });
  });
  return {
    email,
    name: find('name'),
    confirmedAt: withProof ? confirmedAt : undefined,
    confirmIp: withProof ? confirmIp : undefined,
    attributes,
    count: names.length,
  };
}

/** Validates one data row; returns the row or the reason it is skipped. */
export function parseRow(
  record: readonly string[],
  line: number,
  columns: ImportColumns,
  now: number,
  /** The types the list declares for attributes: their cells are stored as these types. */
  types: Readonly<Record<string, AttributeType>> = {},
): { ok: true; row: ImportRow } | { ok: false; reason: string } {
  if (record.length !== columns.count) {
    return { ok: false, reason: `expected ${columns.count} columns, found ${record.length}` };
  }
  const check = normaliseEmail(record[columns.email]);
  if (!check.ok) return { ok: false, reason: check.reason };
  const rawName = columns.name === undefined ? '' : (record[columns.name] ?? '').trim();
  if (rawName.length > 200 || CONTROL.test(rawName))
    return { ok: false, reason: 'the name is longer than 200 characters or has control characters' };
  const attributes: Record<string, StoredValue> = {};
  for (const { index, name } of columns.attributes) {
    const value = record[index] ?? '';
    if (value === '') continue;
    if (value.length > 1024) return { ok: false, reason: `the value of "${name}" is longer than 1024 characters` };
    const type = Object.hasOwn(types, name) ? types[name] : undefined;
    if (type === undefined) {
      attributes[name] = value;
      continue;
    }
    try {
      attributes[name] = attributeFromText(name, type, value);
    } catch (error) {
      return { ok: false, reason: (error as Error).message.replace(/\.$/, '') };
    }
  }
  let confirmedAt: number | null = null;
  let confirmIp: string | null = null;
  if (columns.confirmedAt !== undefined && columns.confirmIp !== undefined) {
    const rawDate = (record[columns.confirmedAt] ?? '').trim();
    const parsed = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(rawDate)
      ? Date.parse(rawDate)
      : NaN;
    if (Number.isNaN(parsed))
      return { ok: false, reason: `confirmed_at "${rawDate.slice(0, 40)}" is not an ISO 8601 date` };
    if (parsed < EARLIEST || parsed > now + 86_400_000)
      return { ok: false, reason: `confirmed_at ${rawDate} is not a plausible time` };
    const ip = (record[columns.confirmIp] ?? '').trim();
    if (isIP(ip) === 0) return { ok: false, reason: `confirm_ip "${ip.slice(0, 60)}" is not an IP address` };
    confirmedAt = parsed;
    confirmIp = ip;
  }
  return {
    ok: true,
    row: {
      line,
      email: check.address.email,
      key: check.address.key,
      name: rawName === '' ? null : rawName,
      attributes: JSON.stringify(attributes),
      confirmedAt,
      confirmIp,
    },
  };
}
