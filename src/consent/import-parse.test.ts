import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBatches, type ParsedBatch } from './import-parse.js';

const OPTIONS = { withProof: false, batchSize: 3, now: Date.UTC(2026, 0, 1) };

async function all(batches: AsyncGenerator<ParsedBatch>): Promise<ParsedBatch[]> {
  const out: ParsedBatch[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe('import batches stay small whatever the rows hold', () => {
  it('ends a batch at its characters as well as at its rows', async () => {
    const note = 'x'.repeat(500);
    const file = ['email,note', ...Array.from({ length: 5 }, (_, i) => `p${i}@example.test,${note}`)].join('\n');
    const batches = await all(parseBatches([file], { ...OPTIONS, batchSize: 100, batchChars: 1000 }));
    // Each row is about 530 characters: a batch ends at its second row.
    assert.deepEqual(
      batches.map((b) => b.rows.length),
      [2, 2, 1],
    );
    assert.deepEqual(
      batches.map((b) => b.rowsRead),
      [2, 4, 5],
    );
    assert.equal(JSON.parse(batches[0]?.rows[0]?.attributes ?? '{}').note, note);
  });

  it('ends a batch at batchSize bad rows, so a file of bad rows does not gather every reason at once', async () => {
    const file = [
      'email,name',
      ...Array.from({ length: 7 }, (_, i) => `not an address ${i},N${i}`),
      'ok@example.test,Ok',
    ].join('\n');
    const batches = await all(parseBatches([file], OPTIONS));
    assert.deepEqual(
      batches.map((b) => [b.bad.length, b.rows.length]),
      [
        [3, 0],
        [3, 0],
        [1, 1],
      ],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.bad.map((bad) => bad.line)),
      [2, 3, 4, 5, 6, 7, 8],
    );
  });
});
