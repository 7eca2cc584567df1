import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { algorithmOf, prepareSignatures, withSignatures, type DkimKey } from './dkim.js';

/**
 * DKIM signing on worker threads: the main thread prepares the data (body hash, canonical
 * headers; cheap) and a pool of threads does the private-key operations (an RSA-2048 signature
 * costs about half a millisecond), so sending is not limited by one core's signing rate.
 */
export interface DkimSigner {
  sign(raw: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export function createDkimSigner(keys: readonly DkimKey[], threads = Math.max(1, availableParallelism() - 1)): DkimSigner {
  const pems = keys.map((k) => k.key.export({ type: 'pkcs8', format: 'pem' }) as string);
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
  const waiting = new Map<number, { resolve: (signatures: string[]) => void; reject: (error: Error) => void }>();
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(script, { workerData: { pems } });
    worker.on('message', (reply: { id: number; signatures?: string[]; error?: string }) => {
      const job = waiting.get(reply.id);
      if (!job) return;
      waiting.delete(reply.id);
      if (reply.signatures) job.resolve(reply.signatures);
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
  const algorithms = keys.map((k) => ({ domain: k.domain, selector: k.selector, algorithm: algorithmOf(k) }));
  let next = 0;
  let sequence = 0;
  let closing = false;

  return {
    async sign(raw) {
      const pending = prepareSignatures(raw, algorithms);
      const id = ++sequence;
      const worker = workers[next++ % workers.length] as Worker;
      const signatures = await new Promise<string[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, pending: pending.map((p) => ({ algorithm: p.algorithm, data: p.data })) });
      });
      return withSignatures(raw, pending, signatures);
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
