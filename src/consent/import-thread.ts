import { parentPort, workerData } from 'node:worker_threads';
import { isAppError } from '../shared/app-error.js';
import { parseBatches, type ParseOptions } from './import-parse.js';

// A parsing thread of an import: the importing thread posts the file's bytes ({ chunk }, then
// { end }); this thread answers each parsed batch ({ batch }), then { done }, or { error } with the
// sentence of a file that cannot be read. The importing thread writes batch n while this one
// parses batch n + 1.
type Message = { chunk: Uint8Array } | { end: true };

const waiting: Buffer[] = [];
let ended = false;
let wake: (() => void) | undefined;
parentPort?.on('message', (message: Message) => {
  if ('chunk' in message)
    waiting.push(Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
  else ended = true;
  wake?.();
});

async function* chunks(): AsyncGenerator<Buffer> {
  for (;;) {
    const next = waiting.shift();
    if (next) {
      // Taken: the importing thread may hand over the next chunk.
      parentPort?.postMessage({ took: true });
      yield next;
    } else if (ended) return;
    else await new Promise<void>((resolve) => (wake = resolve));
  }
}

try {
  for await (const batch of parseBatches(chunks(), workerData as ParseOptions)) parentPort?.postMessage({ batch });
  parentPort?.postMessage({ done: true });
} catch (error) {
  parentPort?.postMessage({ error: (error as Error).message, invalidInput: isAppError(error) });
}
