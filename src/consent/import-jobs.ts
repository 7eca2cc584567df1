import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { ListsService } from '../lists/lists.service.js';
import { AppError, invalidInput, isAppError, notFound } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { readCsv } from '../subscribers/csv-reader.js';
import { importCsv, PARSE_IN_THREAD_FROM_BYTES, type ImportReport } from './import.js';

/** An upload larger than this is refused while it streams (about 10 million rows). */
export const MAX_UPLOAD_BYTES = 1024 ** 3;
const MAX_JOBS = 50;
const ID = /^[A-Za-z0-9_-]{22}$/;
/** The names a column can be mapped to besides an attribute name. */
export const KNOWN_COLUMNS = ['email', 'name', 'confirmed_at', 'confirm_ip'] as const;

export interface ImportJobView {
  id: string;
  file: string;
  bytes: number;
  state: 'uploaded' | 'running' | 'done' | 'failed';
  header: string[];
  sample: string[][];
  list?: string;
  withProof?: boolean;
  rows: number;
  bytesRead: number;
  ratePerSecond: number;
  startedAt: number | null;
  endedAt: number | null;
  report: ImportReport | null;
  error: string | null;
  badLines: number;
}

type Job = ImportJobView & { path: string; badPath: string; uploadedAt: number };

/**
 * Imports from the console: the upload streams to a file under the data folder (0600, never held
 * in memory), its header and first rows are shown for mapping, then the import runs in this process
 * in batches (the CLI's `importCsv`) with its progress, and the bad lines go to a CSV to download.
 * The uploaded file is deleted when the import ends; the jobs are forgotten at restart.
 */
export function createImportJobs(deps: {
  database: Database;
  lists: ListsService;
  dir: () => string;
  mailsPerHour: () => number;
  clock: Clock;
  logger: Logger;
}) {
  const jobs = new Map<string, Job>();
  const UNSTARTED_MS = 3_600_000;
  const ENDED_MS = 86_400_000;

  /**
   * Personal data does not lie about: an upload nobody started is deleted after an hour, an ended
   * import's bad lines after a day, and files no job of this process knows (an earlier process's:
   * its jobs are forgotten at restart) once they are an hour old.
   */
  async function sweep(): Promise<void> {
    const now = deps.clock.now();
    for (const job of [...jobs.values()]) {
      const expired =
        (job.state === 'uploaded' && now - job.uploadedAt > UNSTARTED_MS) ||
        ((job.state === 'done' || job.state === 'failed') && now - (job.endedAt ?? now) > ENDED_MS);
      if (expired) await discard(job);
    }
    const dir = join(deps.dir(), 'imports');
    const known = new Set([...jobs.values()].flatMap((j) => [j.path, j.badPath]));
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = join(dir, name);
      if (known.has(file)) continue;
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > UNSTARTED_MS) await rm(file, { force: true });
    }
  }

  async function discard(job: Job): Promise<void> {
    jobs.delete(job.id);
    await rm(job.path, { force: true });
    await rm(job.badPath, { force: true });
  }

  function find(id: unknown): Job {
    const job = typeof id === 'string' && ID.test(id) ? jobs.get(id) : undefined;
    if (!job) throw notFound('There is no such import (imports are forgotten when the server restarts).');
    return job;
  }

  const view = ({ path: _p, badPath: _b, uploadedAt: _u, ...job }: Job): ImportJobView => ({ ...job });

  async function firstRows(path: string): Promise<string[][]> {
    const rows: string[][] = [];
    const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
    try {
      for await (const items of readCsv(stream)) {
        for (const item of items) {
          if (!item.ok) throw invalidInput(`line ${item.line}: the file is not valid CSV: ${item.reason}.`);
          rows.push(item.record.map((v) => v.slice(0, 200)));
          if (rows.length >= 4) return rows;
        }
      }
      return rows;
    } finally {
      stream.destroy();
    }
  }

  return {
    /** Streams an upload to disk, refusing it past the size cap; reads its header and first rows. */
    async upload(input: Readable, fileName: string): Promise<ImportJobView> {
      if (jobs.size >= MAX_JOBS) {
        const oldest = [...jobs.values()].find((j) => j.state === 'done' || j.state === 'failed');
        if (!oldest) throw new AppError('rate_limited', 'Too many imports are open; wait for one to end.');
        jobs.delete(oldest.id);
        await rm(oldest.badPath, { force: true });
      }
      const dir = join(deps.dir(), 'imports');
      await sweep();
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const id = randomBytes(16).toString('base64url');
      const path = join(dir, `${id}.csv`);
      let bytes = 0;
      const cap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > MAX_UPLOAD_BYTES)
            done(invalidInput('The file is larger than 1 GB; split it and import the parts.'));
          else done(null, chunk);
        },
      });
      try {
        await pipeline(input, cap, createWriteStream(path, { mode: 0o600 }));
        if ((input as Readable & { truncated?: boolean }).truncated)
          throw invalidInput('The file is larger than 1 GB; split it and import the parts.');
        if (bytes === 0) throw invalidInput('The file is empty.');
        const [header, ...sample] = await firstRows(path);
        if (!header) throw invalidInput('The file has no header row.');
        const job: Job = {
          id,
          file: fileName.replace(/[^\w .,()-]/g, '_').slice(0, 100) || 'upload.csv',
          bytes,
          state: 'uploaded',
          header: header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim()),
          sample,
          rows: 0,
          bytesRead: 0,
          ratePerSecond: 0,
          startedAt: null,
          endedAt: null,
          report: null,
          error: null,
          badLines: 0,
          path,
          badPath: join(dir, `${id}.bad.csv`),
          uploadedAt: deps.clock.now(),
        };
        jobs.set(id, job);
        return view(job);
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
    },

    get: (id: unknown): ImportJobView => view(find(id)),

    /** Removes an upload that will not be imported (a refused request) with its files. */
    async discard(id: string): Promise<void> {
      const job = jobs.get(id);
      if (job && job.state !== 'running') await discard(job);
    },

    /**
     * Erasure reaches the uploads too: every upload waiting for its mapping may hold the erased
     * address, so all of them are deleted (their owners upload again).
     */
    async discardWaiting(): Promise<number> {
      const waiting = [...jobs.values()].filter((j) => j.state === 'uploaded');
      for (const job of waiting) await discard(job);
      return waiting.length;
    },

    sweep,

    recent: (): ImportJobView[] => [...jobs.values()].reverse().map(view),

    /** Starts the import of an uploaded file with its column mapping; returns at once. */
    async start(
      id: unknown,
      input: { list: unknown; source: unknown; withProof: boolean; mapping: readonly unknown[] },
    ): Promise<ImportJobView> {
      const job = find(id);
      if (job.state !== 'uploaded') throw new AppError('conflict', 'This import has already started.');
      const list = await deps.lists.requireList(typeof input.list === 'string' ? input.list : '');
      const source = typeof input.source === 'string' ? input.source.trim() : '';
      if (source.length < 3 || source.length > 500)
        throw invalidInput('Say where the addresses came from (3 to 500 characters): it is kept as evidence.');
      const mapping = input.mapping.map((m) => (typeof m === 'string' ? m.trim().toLowerCase() : ''));
      if (mapping.length !== job.header.length) throw invalidInput('Map every column of the file (or leave it out).');
      if (!mapping.includes('email')) throw invalidInput('One column must be the email address.');
      const twice = mapping.find((m, i) => m !== '' && mapping.indexOf(m) !== i);
      if (twice)
        throw invalidInput(`Two columns are mapped to "${twice.slice(0, 64)}"; give each column its own name.`);
      const total = (await stat(job.path)).size;
      Object.assign(job, {
        state: 'running',
        list: list.slug,
        withProof: input.withProof,
        startedAt: deps.clock.now(),
      });
      const bad = createWriteStream(job.badPath, { mode: 0o600 });
      bad.write('line,reason\n');
      async function* counted() {
        for await (const chunk of createReadStream(job.path, { highWaterMark: 256 * 1024 })) {
          job.bytesRead = Math.min(total, job.bytesRead + (chunk as Buffer).length);
          yield chunk as Buffer;
        }
      }
      void importCsv(deps.database, counted(), {
        parseInThread: total >= PARSE_IN_THREAD_FROM_BYTES,
        list,
        source,
        withProof: input.withProof,
        mailsPerHour: deps.mailsPerHour(),
        mapping,
        clock: deps.clock,
        onBadRow: (line, reason) => {
          job.badLines++;
          bad.write(`${line},"${reason.replace(/"/g, '""')}"\n`);
        },
        onProgress: (rows) => {
          job.rows = rows;
          const seconds = (deps.clock.now() - (job.startedAt as number)) / 1000;
          job.ratePerSecond = seconds > 0 ? Math.round(rows / seconds) : 0;
        },
      })
        .then((report) => Object.assign(job, { state: 'done', report, rows: report.rows }))
        .catch((error: unknown) => {
          if (!isAppError(error)) deps.logger.error({ err: error, importId: job.id }, 'console import failed');
          Object.assign(job, {
            state: 'failed',
            error: isAppError(error) ? error.message : 'The import failed; see the log.',
          });
        })
        .finally(async () => {
          job.endedAt = deps.clock.now();
          bad.end();
          await rm(job.path, { force: true });
        });
      return view(job);
    },

    /** The bad lines as CSV (line, reason). */
    badLines(id: unknown): ReadStream {
      const job = find(id);
      if (job.state === 'uploaded' || job.state === 'running')
        throw new AppError('conflict', 'The bad lines can be downloaded when the import has ended.');
      return createReadStream(job.badPath);
    },
  };
}

export type ImportJobs = ReturnType<typeof createImportJobs>;
