import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { threadScript } from '../shared/thread-script.js';
import { withSignatureHeaders, type SigningKey } from './dkim.js';

/**
 * DKIM signing on worker threads: the main thread hands over the message bytes and the ids of
 * the keys, and a pool of threads does the rest (body hash, canonical headers and the private-key
 * operation: an RSA-2048 signature costs about half a millisecond), so the thread that renders
 * and sends stays free. A key is handed to a thread once, the first time that thread needs it;
 * the threads start with the first message.
 */
export interface DkimSigner {
  sign(raw: Buffer, keys: readonly SigningKey[]): Promise<Buffer>;
  close(): Promise<void>;
}

interface Thread {
  worker: Worker;
  /** Key ids this thread holds. */
  keys: Set<number>;
}

export function createDkimSigner(threads = Math.max(1, availableParallelism() - 1)): DkimSigner {
  const script = threadScript(import.meta.url, 'dkim-thread');
  const waiting = new Map<number, { resolve: (headers: string) => void; reject: (error: Error) => void }>();
  let pool: Thread[] | undefined;
  let next = 0;
  let sequence = 0;
  let closing = false;

  const failAll = (error: Error) => {
    for (const [id, job] of waiting) {
      waiting.delete(id);
      job.reject(error);
    }
  };

  function start(): Thread[] {
    return Array.from({ length: threads }, () => {
      const worker = new Worker(script);
      worker.on('message', (reply: { id: number; headers?: string; error?: string }) => {
        const job = waiting.get(reply.id);
        if (!job) return;
        waiting.delete(reply.id);
        if (reply.headers !== undefined) job.resolve(reply.headers);
        else job.reject(new Error(`DKIM signing failed: ${reply.error}`));
      });
      worker.on('error', failAll);
      worker.on('exit', (code) => {
        if (!closing) failAll(new Error(`DKIM signing thread exited with code ${code}`));
      });
      return { worker, keys: new Set<number>() };
    });
  }

  return {
    async sign(raw, keys) {
      if (keys.length === 0) return raw;
      pool ??= start();
      const id = ++sequence;
      const thread = pool[next++ % pool.length] as Thread;
      for (const key of keys) {
        if (thread.keys.has(key.id)) continue;
        // Messages to one thread arrive in order: the key is there before the job that needs it.
        thread.worker.postMessage({
          key: {
            id: key.id,
            domain: key.domain,
            selector: key.selector,
            pem: key.key.export({ type: 'pkcs8', format: 'pem' }) as string,
          },
        });
        thread.keys.add(key.id);
      }
      const headers = await new Promise<string>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        // Copied, not transferred: the caller keeps its bytes (a pooled Buffer shares its memory).
        thread.worker.postMessage({ id, raw, keyIds: keys.map((k) => k.id) });
      });
      return withSignatureHeaders(raw, headers);
    },
    async close() {
      closing = true;
      await Promise.all((pool ?? []).map((t) => t.worker.terminate()));
    },
  };
}
