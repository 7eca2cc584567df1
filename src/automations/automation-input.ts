import { invalidInput } from '../shared/app-error.js';

/** Rules for automation input (pure), shared by the CLI and the API. */

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** An event name the shop posts: `cart.abandoned`, `order.completed`. */
const EVENT = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MAX_DELAY_MS = 366 * 86_400_000;
export const MAX_STEPS = 20;
const MAX_CANCEL_EVENTS = 10;

export function parseAutomationName(input: unknown): string {
  const name = typeof input === 'string' ? input.trim() : '';
  if (!NAME.test(name))
    throw invalidInput(
      'An automation name must be 1-64 lower-case letters, digits or dashes, not starting or ending with a dash.',
    );
  return name;
}

export function parseEventName(input: unknown, what = 'An event name'): string {
  const name = typeof input === 'string' ? input.trim() : '';
  if (!EVENT.test(name))
    throw invalidInput(`${what} must be 1-64 lower-case letters, digits, dots, dashes or _ (like cart.abandoned).`);
  if (name === 'confirmed')
    throw invalidInput('"confirmed" starts welcome flows (--on confirmed); it is not the name of an event.');
  return name;
}

/** `--on confirmed` (a confirmation on the list starts it) or `--on <event name>` (an event the shop posts). */
export function parseTrigger(input: unknown): { trigger: 'confirmed' | 'event'; event: string | null } {
  if (input === 'confirmed') return { trigger: 'confirmed', event: null };
  return { trigger: 'event', event: parseEventName(input, 'The trigger (confirmed, or an event name)') };
}

export function parseCancelEvents(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  const names = Array.isArray(input) ? input : [input];
  if (names.length > MAX_CANCEL_EVENTS)
    throw invalidInput(`An automation is cancelled by at most ${MAX_CANCEL_EVENTS} events.`);
  return [...new Set(names.map((n) => parseEventName(n, 'A cancelling event')))];
}

/** A delay like `0m`, `30m`, `2h`, `3d`, `1w` (at most a year), in milliseconds. */
export function parseDelay(input: unknown): number {
  const text = typeof input === 'string' ? input.trim() : '';
  const m = /^(\d{1,6})([mhdw])$/.exec(text);
  if (!m) throw invalidInput(`The delay "${text.slice(0, 40)}" is not a number with m, h, d or w (like 0m, 2h, 3d).`);
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (ms > MAX_DELAY_MS) throw invalidInput('A delay is at most a year.');
  return ms;
}

/** A delay in words, as `automations show` prints it: the largest unit that divides it. */
export function formatDelay(ms: number): string {
  for (const [unit, size] of [
    ['w', UNIT_MS.w],
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
  ] as const) {
    if (ms > 0 && ms % (size as number) === 0) return `${ms / (size as number)}${unit}`;
  }
  return `${ms / 60_000}m`;
}

/** An event's data: a JSON object of at most 8 KB (kept with the run, given to the templates as `event`). */
export function parseEventData(input: unknown): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalidInput("An event's data must be a JSON object.");
  if (JSON.stringify(input).length > 8192) throw invalidInput("An event's data is at most 8 KB.");
  return input as Record<string, unknown>;
}
