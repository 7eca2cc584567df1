import { invalidInput } from '../shared/app-error.js';

/**
 * A/B subject tests (pure rules). A share of the audience (the sample, chosen by subscriber id so a
 * restarted fan-out picks the same people) is split in two by id: half get subject A, half B.
 * The wait starts when the sample's mail has all gone out; after it, the subject with more people clicking wins (human opens decide a tie when the
 * list counts opens; a tie after that goes to A), and the rest of the audience gets the winner.
 */
export interface AbTest {
  subjectB: string;
  /** Percent of the audience in the sample (half A, half B). */
  samplePercent: number;
  waitMs: number;
  /** When the sample's last message had gone out: the wait counts from here. */
  sampleSentAt?: number;
  decision?: {
    winner: 'a' | 'b';
    at: number;
    clicks: { a: number; b: number };
    opens: { a: number; b: number };
  };
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--subject-b`, `--ab-sample` (2-50 %, default 20) and `--ab-wait` (like 4h; default 4h, at most 7 days). */
export function parseAbInput(input: {
  subject?: unknown;
  subjectB?: unknown;
  abSample?: unknown;
  abWait?: unknown;
}): AbTest | null {
  if (input.subjectB === undefined || input.subjectB === null) {
    if (input.abSample !== undefined || input.abWait !== undefined)
      throw invalidInput('An A/B test needs the second subject (--subject-b).');
    return null;
  }
  if (typeof input.subjectB !== 'string' || input.subjectB.trim() === '' || input.subjectB.length > 998)
    throw invalidInput('The second subject must be 1-998 characters.');
  if (typeof input.subject === 'string' && input.subject.trim() === input.subjectB.trim())
    throw invalidInput('The second subject is the same as the first: an A/B test needs two different subjects.');
  const given = input.abSample;
  const sample =
    given === undefined
      ? 20
      : (typeof given === 'number' || typeof given === 'string') && /^\d{1,2}$/.test(String(given))
        ? Number(given)
        : NaN;
  if (!Number.isInteger(sample) || sample < 2 || sample > 50)
    throw invalidInput('The A/B sample is a whole percent from 2 to 50 (half of it gets each subject).');
  const wait = typeof input.abWait === 'string' ? input.abWait.trim() : input.abWait === undefined ? '4h' : '';
  const m = /^(\d{1,5})([smhd])$/.exec(wait);
  const waitMs = m ? Number(m[1]) * (UNIT_MS[m[2] as string] as number) : NaN;
  if (!Number.isFinite(waitMs) || waitMs < 5000 || waitMs > 7 * 86_400_000)
    throw invalidInput(
      `The A/B wait "${String(input.abWait).slice(0, 20)}" is not a number with s, m, h or d from 5 seconds to 7 days (like 4h).`,
    );
  return { subjectB: input.subjectB.trim(), samplePercent: sample, waitMs };
}

export const readAbTest = (text: string | null): AbTest | null => (text === null ? null : (JSON.parse(text) as AbTest));

/** The subject variant of a subscriber in the sample (by id, so it never changes). */
export const sampleVariant = (subscriberId: number): 'a' | 'b' => (subscriberId % 2 === 0 ? 'a' : 'b');

/** The winner from the people who clicked (then opened, when opens are counted) per variant; a tie goes to A. */
export function abWinner(clicks: { a: number; b: number }, opens: { a: number; b: number }): 'a' | 'b' {
  if (clicks.a !== clicks.b) return clicks.a > clicks.b ? 'a' : 'b';
  return opens.b > opens.a ? 'b' : 'a';
}
