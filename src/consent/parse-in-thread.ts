import { Worker } from 'node:worker_threads';
import { invalidInput } from '../shared/app-error.js';
import { threadScript } from '../shared/thread-script.js';
import type { ParseOptions, ParsedBatch } from './import-parse.js';

/** Batches parsed ahead of the writer, and chunks handed over but not yet read, at most. */
const BATCHES_AHEAD = 3;
const CHUNKS_AHEAD = 8;

/**
 * parseBatches on a thread of its own (import-thread.ts): this thread hands over the file's bytes
 * and writes batch n while that one parses batch n + 1, so a large import uses two cores. Memory
 * stays flat: the bytes handed over and the batches parsed ahead are both bounded.
 */
export async function* parseInThread(
  input: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
  options: ParseOptions,
): AsyncGenerator<ParsedBatch> {
  const worker = new Worker(threadScript(import.meta.url, 'import-thread'), { workerData: options });
  const inbox: ParsedBatch[] = [];
  let taken = 0;
  let finished = false;
  let stopped = false;
  let failure: Error | undefined;
  const waiters = new Set<() => void>();
  const signal = () => {
    for (const wake of waiters) wake();
    waiters.clear();
  };
  const changed = () => new Promise<void>((resolve) => waiters.add(resolve));
  worker.on(
    'message',
    (m: { took?: true; batch?: ParsedBatch; done?: true; error?: string; invalidInput?: boolean }) => {
      if (m.took) taken++;
      else if (m.batch) inbox.push(m.batch);
      else if (m.done) finished = true;
      else if (m.error !== undefined) failure = m.invalidInput ? invalidInput(m.error) : new Error(m.error);
      signal();
    },
  );
  worker.on('error', (error) => {
    failure = error;
    signal();
  });
  worker.on('exit', (code) => {
    if (!finished && !failure && !stopped) failure = new Error(`the import's parsing thread stopped (code ${code})`);
    signal();
  });

  const feeding = (async () => {
    let posted = 0;
    for await (const chunk of input) {
      if (stopped || failure) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      worker.postMessage({ chunk: bytes });
      posted++;
      while (!stopped && !failure && (posted - taken >= CHUNKS_AHEAD || inbox.length >= BATCHES_AHEAD)) await changed();
    }
    worker.postMessage({ end: true });
  })().catch((error: unknown) => {
    failure ??= error as Error;
    signal();
  });

  try {
    for (;;) {
      const next = inbox.shift();
      if (next) {
        signal();
        yield next;
        continue;
      }
      if (failure) throw failure;
      if (finished) break;
      await changed();
    }
    await feeding;
    // Set by the feeder (a stream that failed): read anew, not as narrowed above.
    const late = failure as Error | undefined;
    if (late) throw late;
  } finally {
    stopped = true;
    signal();
    await worker.terminate();
  }
}
