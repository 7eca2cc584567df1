import { Worker } from 'node:worker_threads';
import { threadScript } from '../shared/thread-script.js';

/** A compiled read query whose SQL bounds an integer column with the named parameters @lo (inclusive) and @hi. */
export interface ChunkableCount {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Counting on a SQLite file in chunks, on reader threads. A count that reads a million rows (a
 * segment's live count) is bound by one core on SQLite; split by ranges of an integer key, each
 * thread with its own read-only connection, it uses every core (measured on the 1,000,000-row
 * segment bench: 487 ms on one connection, 244 ms on two threads). Each chunk reads its own
 * snapshot: a write committed during the count may be in one chunk's answer and not another's,
 * as it could be just before or after a count on one connection. The threads start with the first
 * count and stop after a minute without one.
 */
export interface ChunkedCounter {
  /** The sum of the query's count over [min, max], in chunks. */
  count(query: ChunkableCount, min: number, max: number): Promise<number>;
  close(): Promise<void>;
}

const IDLE_MS = 60_000;

interface Job {
  resolve: (count: number) => void;
  reject: (error: Error) => void;
}

/** A thread and the jobs it owes an answer (a thread that fails rejects only its own). */
interface Thread {
  worker: Worker;
  jobs: Map<number, Job>;
}

export function createChunkedCounter(file: string, threads: number): ChunkedCounter {
  const script = threadScript(import.meta.url, 'count-thread');
  let pool: Thread[] | undefined;
  let sequence = 0;
  let active = 0;
  let idle: NodeJS.Timeout | undefined;

  function start(): Thread[] {
    return Array.from({ length: threads }, () => {
      const thread: Thread = { worker: new Worker(script, { workerData: { file } }), jobs: new Map() };
      const fail = (error: Error) => {
        for (const job of thread.jobs.values()) job.reject(error);
        thread.jobs.clear();
      };
      // A CLI command that counted once may exit without closing the pool.
      thread.worker.unref();
      thread.worker.on('message', (reply: { id: number; count?: number; error?: string }) => {
        const job = thread.jobs.get(reply.id);
        if (!job) return;
        thread.jobs.delete(reply.id);
        if (reply.count !== undefined) job.resolve(reply.count);
        else job.reject(new Error(`A counting thread failed: ${reply.error}`));
      });
      thread.worker.on('error', fail);
      thread.worker.on('exit', () => {
        // A thread of the current pool that stopped on its own: the next count starts a new pool.
        if (pool?.includes(thread)) void stop();
        fail(new Error('A counting thread stopped during a count.'));
      });
      return thread;
    });
  }

  async function stop(): Promise<void> {
    clearTimeout(idle);
    const stopping = pool ?? [];
    pool = undefined;
    await Promise.all(stopping.map((t) => t.worker.terminate()));
  }

  /** With no count under way, the threads stop after a minute. */
  function armIdle(): void {
    clearTimeout(idle);
    if (active > 0) return;
    idle = setTimeout(() => void stop(), IDLE_MS);
    idle.unref();
  }

  /** Runs the chunks on the threads, the next chunk to whichever thread answers first. */
  async function run(threadsNow: Thread[], query: ChunkableCount, chunks: Array<[number, number]>): Promise<number> {
    let total = 0;
    let next = 0;
    const ask = (thread: Thread, lo: number, hi: number) =>
      new Promise<number>((resolve, reject) => {
        const id = ++sequence;
        thread.jobs.set(id, { resolve, reject });
        thread.worker.postMessage({ id, sql: query.sql, parameters: query.parameters, lo, hi });
      });
    await Promise.all(
      threadsNow.map(async (thread) => {
        while (next < chunks.length) {
          const [lo, hi] = chunks[next++] as [number, number];
          // Not `total += await …`: that reads total before the wait and loses the other threads' sums.
          const count = await ask(thread, lo, hi);
          total += count;
        }
      }),
    );
    return total;
  }

  return {
    async count(query, min, max) {
      clearTimeout(idle);
      active++;
      try {
        pool ??= start();
        // More chunks than threads: a thread slowed by the machine's other work takes fewer.
        const parts = threads * 4;
        const size = Math.ceil((max - min + 1) / parts);
        const chunks: Array<[number, number]> = [];
        for (let lo = min; lo <= max; lo += size) chunks.push([lo, Math.min(lo + size, max + 1)]);
        return await run(pool, query, chunks);
      } finally {
        active--;
        armIdle();
      }
    },
    close: stop,
  };
}
