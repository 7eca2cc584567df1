import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture, fixtureNames } from '../../test/helpers/feedback-fixtures.js';
import { parseFeedback } from './parse-feedback.js';

/**
 * Mutation fuzzing of the report parser over the fixtures: truncated, spliced, nested,
 * mis-encoded and oversized MIME. Fixed seed, so a failure names a case that replays.
 * Nothing may throw, nothing may hang, and every refusal must say why.
 */
const CASES = Number(process.env.LISTWARDEN_FUZZ_CASES ?? 100_000);
const SEED = 0x5eed_2026;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtures = fixtureNames().map((name) => fixture(name));
const NASTY = [
  '\r',
  '\n',
  '\r\n\r\n',
  '--',
  '=',
  '=?',
  '?=',
  '"',
  ';',
  ':',
  '<',
  '>',
  '@',
  '\x00',
  '\xff\xfe',
  'boundary=',
  'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  'charset=x-nonexistent',
];

type Mutation = (input: string, rand: () => number) => string;
const pick = <T>(items: readonly T[], rand: () => number) => items[Math.floor(rand() * items.length)] as T;
const at = (input: string, rand: () => number) => Math.floor(rand() * (input.length + 1));

const MUTATIONS: Array<[string, Mutation]> = [
  ['truncate', (s, r) => s.slice(0, at(s, r))],
  [
    'flip bytes',
    (s, r) => {
      const chars = [...s];
      for (let i = 0, n = 1 + Math.floor(r() * 20); i < n && chars.length > 0; i++)
        chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 256));
      return chars.join('');
    },
  ],
  [
    'delete range',
    (s, r) => {
      const a = at(s, r);
      return s.slice(0, a) + s.slice(a + Math.floor(r() * 400));
    },
  ],
  [
    'repeat range',
    (s, r) => {
      const a = at(s, r);
      const piece = s.slice(a, a + 1 + Math.floor(r() * 200));
      return s.slice(0, a) + piece.repeat(1 + Math.floor(r() * 60)) + s.slice(a);
    },
  ],
  [
    'insert nasty',
    (s, r) => {
      let out = s;
      for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) {
        const p = at(out, r);
        out = out.slice(0, p) + pick(NASTY, r) + out.slice(p);
      }
      return out;
    },
  ],
  [
    'break boundaries',
    (s, r) =>
      s.replace(
        /boundary="?([^";\r\n]+)"?/i,
        r() < 0.5 ? 'boundary=""' : `boundary="${'b'.repeat(Math.floor(r() * 2000))}"`,
      ),
  ],
  ['drop closing delimiters', (s) => s.replace(/^--[^\r\n]+--\s*$/gm, '')],
  [
    'bogus encodings',
    (s, r) =>
      s
        .replace(
          /^Content-Type: ([^\r\n]+)/gim,
          (line) =>
            `${line}\r\nContent-Transfer-Encoding: ${pick(['base64', 'quoted-printable', 'x-uuencode', '8bit'], r)}`,
        )
        .replace(
          /charset="?[^";\r\n]+"?/gi,
          `charset=${pick(['utf-7', 'x-bogus', 'iso-2022-jp', 'shift_jis', '', 'utf-8*en'], r)}`,
        ),
  ],
  [
    'splice two',
    (s, r) => {
      const other = pick(fixtures, r);
      return s.slice(0, at(s, r)) + other.slice(at(other, r));
    },
  ],
  [
    'nest deeply',
    (s, r) => {
      let out = s;
      for (let depth = 0, n = 1 + Math.floor(r() * 80); depth < n; depth++) {
        out = `Content-Type: multipart/mixed; boundary="n${depth}"\r\n\r\n--n${depth}\r\nContent-Type: message/rfc822\r\n\r\n${out}\r\n--n${depth}--\r\n`;
      }
      return out;
    },
  ],
  [
    'huge header',
    (s, r) => `X-Pad: ${pick(['a', ' ', '=?', '<', '-', 'x@'], r).repeat(100_000 + Math.floor(r() * 300_000))}\r\n${s}`,
  ],
  ['many headers', (s, r) => `${'X-H: v\r\n'.repeat(5_000 + Math.floor(r() * 20_000))}${s}`],
  [
    'long blank line',
    (s, r) => s.replace(/\r\n\r\n/, `\r\n${' '.repeat(50_000 + Math.floor(r() * 200_000))}x\r\n\r\n`),
  ],
  [
    'many parts',
    (s) =>
      `Content-Type: multipart/mixed; boundary=p\r\n\r\n${`--p\r\nContent-Type: text/plain\r\n\r\n${'<a@b.example>: 550 5.1.1\r\n'}`.repeat(3000)}--p--\r\n${s}`,
  ],
];

describe('parseFeedback under mutation fuzzing', () => {
  it(`survives ${CASES} mutated reports (seed ${SEED.toString(16)})`, () => {
    const rand = mulberry32(SEED);
    const outcomes = { ok: 0, refused: 0 };
    let slowest = { ms: 0, name: '', index: -1 };
    for (let i = 0; i < CASES; i++) {
      let input = pick(fixtures, rand);
      const applied: string[] = [];
      for (let n = 0, count = 1 + Math.floor(rand() * 3); n < count; n++) {
        // The expensive shapes are rarer so the run stays short; they still run thousands of times.
        const [name, mutate] = rand() < 0.03 ? pick(MUTATIONS.slice(10), rand) : pick(MUTATIONS.slice(0, 10), rand);
        input = mutate(input, rand);
        applied.push(name);
      }
      const bytes = Buffer.from(input, 'latin1');
      const started = performance.now();
      let result;
      try {
        result = parseFeedback(bytes);
      } catch (error) {
        assert.fail(`case ${i} (${applied.join(' + ')}) threw: ${(error as Error).stack}`);
      }
      const ms = performance.now() - started;
      if (ms > slowest.ms) slowest = { ms, name: applied.join(' + '), index: i };
      if (result.ok) {
        outcomes.ok++;
        assert.ok(['bounce', 'complaint', 'auto_reply', 'notice'].includes(result.report.kind), `case ${i}`);
        assert.ok(Array.isArray(result.report.recipients) && result.report.recipients.length <= 100, `case ${i}`);
      } else {
        outcomes.refused++;
        assert.ok(result.reason.length > 10, `case ${i}: a refusal names its reason`);
        assert.ok(
          !result.reason.startsWith('unreadable MIME'),
          `case ${i} (${applied.join(' + ')}): the parser threw inside: ${result.reason}`,
        );
      }
    }
    // A hang shows as one case taking seconds; quadratic regexes on hostile input do that.
    assert.ok(slowest.ms < 2000, `case ${slowest.index} (${slowest.name}) took ${slowest.ms.toFixed(0)} ms`);
    assert.ok(outcomes.ok > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });

  it('refuses oversized input at once', () => {
    const result = parseFeedback(Buffer.alloc(11 * 1024 * 1024, 0x41));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /larger than/);
  });
});
