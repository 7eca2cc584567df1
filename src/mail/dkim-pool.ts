import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { withSignatureHeaders, type DkimKey } from './dkim.js';

/**
 * DKIM signing on worker threads: the main thread hands over the message bytes and a pool of
 * threads does the rest (body hash, canonical headers and the private-key operation: an RSA-2048
 * signature costs about half a millisecond), so the thread that renders and sends stays free.
 */
export interface DkimSigner {
  sign(raw: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export function createDkimSigner(
  keys: readonly DkimKey[],
  threads = Math.max(1, availableParallelism() - 1),
): DkimSigner {
  const exported = keys.map((k) => ({
    domain: k.domain,
    selector: k.selector,
    pem: k.key.export({ type: 'pkcs8', format: 'pem' }) as string,
  }));
  const here = new URL(import.meta.url);
  const fromSource = here.pathname.endsWith('.ts');
  const entry = new URL(`./dkim-thread${fromSource ? '.ts' : '.js'}`, here);
  // Run from TypeScript sources (development, tests), the thread registers tsx before loading the
  // entry; loader hooks of the main thread do not reach worker threads on Node 20.
  const script = fromSource
    ? new URL(
        `data:text/javascript,${encodeURIComponent(
          `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry.href)});`,
        )}`,
      )
    : entry;
  const waiting = new Map<number, { resolve: (headers: string) => void; reject: (error: Error) => void }>();
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(script, { workerData: { keys: exported } });
    worker.on('message', (reply: { id: number; headers?: string; error?: string }) => {
      const job = waiting.get(reply.id);
      if (!job) return;
      waiting.delete(reply.id);
      if (reply.headers !== undefined) job.resolve(reply.headers);
      else job.reject(new Error(`DKIM signing failed: ${reply.error}`));
    });
    const failAll = (error: Error) => {
      for (const [id, job] of waiting) {
        waiting.delete(id);
        job.reject(error);
      }
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      if (!closing) failAll(new Error(`DKIM signing thread exited with code ${code}`));
    });
    return worker;
  });
  let next = 0;
  let sequence = 0;
  let closing = false;

  return {
    async sign(raw) {
      const id = ++sequence;
      const worker = workers[next++ % workers.length] as Worker;
      const headers = await new Promise<string>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        // Copied, not transferred: the caller keeps its bytes (a pooled Buffer shares its memory).
        worker.postMessage({ id, raw });
      });
      return withSignatureHeaders(raw, headers);
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
