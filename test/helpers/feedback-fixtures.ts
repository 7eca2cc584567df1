import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = new URL('../fixtures/feedback/', import.meta.url).pathname;

export interface FixtureValues {
  RCPT: string;
  VERP: string;
  MSGID: string;
  FROM: string;
}

export const DEFAULT_VALUES: FixtureValues = {
  RCPT: 'kim@example.net',
  VERP: 'bounces+aaaaaaaaaaaaaaaaaaaaaaaaaa@shop.test',
  MSGID: '0190c3e4-5b6a-7c8d-9e0f-112233445566@shop.test',
  FROM: 'news@shop.test',
};

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.eml'))
    .sort();
}

/** A fixture with its placeholders filled, with CRLF line ends as on the wire. */
export function fixture(name: string, values: Partial<FixtureValues> = {}): string {
  const all = { ...DEFAULT_VALUES, ...values };
  return readFileSync(join(FIXTURE_DIR, name), 'utf8')
    .replace(/\{\{(RCPT|VERP|MSGID|FROM)\}\}/g, (_, key: keyof FixtureValues) => all[key])
    .replace(/\r?\n/g, '\r\n');
}
