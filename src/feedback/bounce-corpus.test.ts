import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFeedback, type ParsedFeedback, type ReportedRecipient } from './parse-feedback.js';

// 314 real bounce and complaint mails with their expected readings (test/fixtures/bounce-corpus,
// BSD 2-clause, see its LICENSE). The parser is tuned to rules, never to these files.
const DIR = new URL('../../test/fixtures/bounce-corpus/', import.meta.url).pathname;

interface Expected {
  file: string;
  recipients: Array<{ address: string; kind: string; reason: string; status: string }>;
}

const expected = readFileSync(join(DIR, 'expected.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Expected);

function kindOf(report: ParsedFeedback, recipient: ReportedRecipient | undefined): string {
  if (report.kind === 'complaint' || report.kind === 'auto_reply') return report.kind;
  return recipient?.kind ?? (report.kind === 'notice' ? 'notice' : 'soft_bounce');
}

function score() {
  let entries = 0;
  let recipientsRight = 0;
  let kindsRight = 0;
  const misses: string[] = [];
  for (const message of expected) {
    const parsed = parseFeedback(readFileSync(join(DIR, message.file)));
    for (const want of message.recipients) {
      entries++;
      if (!parsed.ok) {
        misses.push(`${message.file}: unreadable (${parsed.reason})`);
        continue;
      }
      const found = parsed.report.recipients.find((r) => r.address?.toLowerCase() === want.address.toLowerCase());
      const addressRight = want.address === '' || found !== undefined;
      const kind = kindOf(parsed.report, found ?? parsed.report.recipients[0]);
      if (addressRight) recipientsRight++;
      if (kind === want.kind) kindsRight++;
      if (!addressRight || kind !== want.kind) {
        misses.push(`${message.file}: expected ${want.address} ${want.kind} (${want.reason}), read ${kind}`);
      }
    }
  }
  return { entries, recipients: recipientsRight / entries, kinds: kindsRight / entries, misses };
}

describe('the parser on the shared corpus of real bounces and complaints', () => {
  const result = score();

  it('names the right recipient for at least 97% of the expected entries, and never crashes', () => {
    assert.equal(result.entries, 332);
    assert.ok(
      result.recipients >= 0.97,
      `recipients right: ${(result.recipients * 100).toFixed(1)}%\n${result.misses.join('\n')}`,
    );
  });

  it('reads the kind right for at least 95% of the entries (measured 95.8%)', () => {
    assert.ok(result.kinds >= 0.95, `kinds right: ${(result.kinds * 100).toFixed(1)}%\n${result.misses.join('\n')}`);
  });
});
