import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBatches, type ParsedBatch } from './import-parse.js';
import { parseInThread } from './parse-in-thread.js';

const OPTIONS = { withProof: false, batchSize: 3, now: Date.UTC(2026, 0, 1) };

async function all(batches: AsyncGenerator<ParsedBatch>): Promise<ParsedBatch[]> {
  const out: ParsedBatch[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

/** A file in small pieces, cut in the middle of lines and of a quoted field. */
function pieces(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('parsing an import on a thread of its own', () => {
  const file = [
    'email,name,city',
    'ann@example.test,Ann,Delft',
    'not an address,Bob,Gouda',
    'cy@example.test,"Cy, ""the"" third",Leiden',
    'ANN@example.test,Ann again,Delft',
    'dee@example.test,"Dee',
    'on two lines",Utrecht',
    ...Array.from({ length: 20 }, (_, i) => `p${i}@example.test,P${i},Zwolle`),
    'eve@example.test,Eve,"unclosed',
  ].join('\n');

  it('gives the batches the importing thread would, however the bytes are cut', async () => {
    const here = await all(parseBatches(pieces(file, 1 << 20), OPTIONS));
    for (const size of [1, 7, 64, 4096]) assert.deepEqual(await all(parseInThread(pieces(file, size), OPTIONS)), here);
    const rows = here.flatMap((b) => b.rows.map((r) => r.email));
    // ANN repeats ann within one batch: counted as a repeat, written once.
    assert.deepEqual(rows.slice(0, 3), ['ann@example.test', 'cy@example.test', 'p0@example.test']);
    assert.equal(rows.length, 22);
    assert.equal(
      here.reduce((n, b) => n + b.repeats, 0),
      1,
    );
    // The address, the name with a line break in it (lines 6-7), the unclosed quote at the end.
    assert.deepEqual(
      here.flatMap((b) => b.bad).map((b) => b.line),
      [3, 6, 28],
    );
    assert.equal(here.at(-1)?.rowsRead, 26);
  });

  it('turns a header it cannot use into a sentence naming the line (a 400)', async () => {
    await assert.rejects(all(parseInThread(pieces('name,city\nAnn,Delft\n', 4), OPTIONS)), {
      code: 'invalid_input',
      message: /line 1: the header row needs an "email" column/,
    });
  });

  it('passes on a failure of the input and stops the thread', async () => {
    async function* failing() {
      yield Buffer.from('email\nann@example.test\n');
      throw new Error('the upload was cut off');
    }
    await assert.rejects(all(parseInThread(failing(), OPTIONS)), /the upload was cut off/);
  });

  it('keeps memory flat: never more than a few chunks ahead of a slow writer', async () => {
    let read = 0;
    const big = Array.from({ length: 400 }, (_, i) => Buffer.from(`${i === 0 ? 'email\n' : ''}a${i}@example.test\n`));
    async function* counted() {
      for (const chunk of big) {
        read++;
        yield chunk;
      }
    }
    const batches = parseInThread(counted(), { ...OPTIONS, batchSize: 1 });
    await batches.next();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(read < 20, `read ${read} chunks ahead of one written batch`);
    await batches.return(undefined);
  });
});
