import type { Database } from '../db/database.js';
import type { ListRow } from '../db/schema.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { CsvDelimiter } from '../subscribers/csv-reader.js';
import type { ImportRow } from '../subscribers/csv-rows.js';
import { upsertSubscribersBulk } from '../subscribers/subscribers.repo.js';
import { attributeTypesOf } from '../lists/list-attributes.repo.js';
import { importSubscriptions } from './change-consent.js';
import { lastRepermissionAt, suppressedAmong } from './consent.repo.js';
import { parseBatches } from './import-parse.js';
import { parseInThread } from './parse-in-thread.js';

export interface ImportOptions {
  list: ListRow;
  /** Where these addresses came from, kept with every imported record as evidence. */
  source: string;
  withProof: boolean;
  /** Re-permission mails per hour (imports without proof are asked to confirm, throttled). */
  mailsPerHour: number;
  batchSize?: number;
  /** Called for every skipped row, so a CLI can stream them to stderr. */
  onBadRow?: (line: number, reason: string) => void;
  /**
   * The console's column mapping: the name each column of the file stands for (email, name,
   * confirmed_at, confirm_ip, an attribute name), '' to leave a column out; replaces the header.
   */
  mapping?: readonly string[];
  /** Called after each batch with the rows read so far (a CLI draws its progress bar). */
  onProgress?: (rows: number) => void;
  /**
   * Parse on a thread of its own while this one writes (two cores for a large file); worth its
   * start-up for files of a few megabytes and more.
   */
  parseInThread?: boolean;
  clock?: Clock;
}

export interface ImportReport {
  rows: number;
  imported: number;
  existing: number;
  suppressed: number;
  invalid: number;
  /** The first 1,000 bad rows; the rest are only counted (memory stays flat). */
  errors: Array<{ line: number; reason: string }>;
  confirmationMails: number;
  mailsFrom: string | null;
  mailsUntil: string | null;
  /** The delimiter the file uses, detected from its header line. */
  delimiter: CsvDelimiter;
}

const MAX_KEPT_ERRORS = 1000;

/** From this size on a file is parsed on a thread of its own (below it the thread's start costs more). */
export const PARSE_IN_THREAD_FROM_BYTES = 8 * 1024 * 1024;

/**
 * Streams a CSV into a list in batches, one transaction each: a crash loses at most the batch
 * in flight, and running the same file again skips what is already there. Addresses without
 * proof become pending and are scheduled for a throttled re-permission mail.
 */
export async function importCsv(
  database: Database,
  input: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
  options: ImportOptions,
): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 2000;
  const clock = options.clock ?? systemClock;
  const report: ImportReport = {
    rows: 0,
    imported: 0,
    existing: 0,
    suppressed: 0,
    invalid: 0,
    errors: [],
    confirmationMails: 0,
    mailsFrom: null,
    mailsUntil: null,
    delimiter: 'comma',
  };
  const bad = (line: number, reason: string) => {
    report.invalid++;
    if (report.errors.length < MAX_KEPT_ERRORS) report.errors.push({ line, reason });
    options.onBadRow?.(line, reason);
  };
  const interval = 3_600_000 / options.mailsPerHour;
  let nextMailAt = options.withProof
    ? 0
    : Math.max(clock.now(), ((await lastRepermissionAt(database.db)) ?? 0) + interval);

  async function flush(rows: readonly ImportRow[], hashes: readonly string[]): Promise<void> {
    const now = clock.now();
    await database.transaction(async (trx) => {
      const suppressed = await suppressedAmong(trx, database.dialect, hashes);
      const wanted = suppressed.size === 0 ? rows : rows.filter((_, i) => !suppressed.has(hashes[i] as string));
      report.suppressed += rows.length - wanted.length;
      const ids = await upsertSubscribersBulk(trx, database.dialect, wanted, now);
      const known = wanted.map((row) => ({ row, id: ids.get(row.key) as number }));
      const schedule = new Map<number, number>();
      const created = await importSubscriptions(
        trx,
        database.dialect,
        options.list.id,
        options.withProof,
        known.map(({ row, id }) => {
          let repermissionAt: number | null = null;
          if (!options.withProof) {
            repermissionAt = Math.round(nextMailAt);
            nextMailAt += interval;
            schedule.set(id, repermissionAt);
          }
          return {
            subscriberId: id,
            confirmedAt: row.confirmedAt,
            repermissionAt,
            origin: { ip: row.confirmIp, source: options.source },
            evidence: options.withProof
              ? {
                  channel: 'import' as const,
                  line: row.line,
                  proof: { confirmedAt: new Date(row.confirmedAt as number).toISOString(), confirmIp: row.confirmIp },
                }
              : {
                  channel: 'import' as const,
                  line: row.line,
                  confirmationMail: `scheduled ${new Date(repermissionAt as number).toISOString()} (re-permission)`,
                },
          };
        }),
        now,
      );
      const fresh = known.filter(({ id }) => created.has(id));
      report.imported += fresh.length;
      report.existing += known.length - fresh.length;
      if (!options.withProof && fresh.length > 0) {
        report.confirmationMails += fresh.length;
        const times = fresh.map(({ id }) => schedule.get(id) as number);
        report.mailsFrom ??= new Date(Math.min(...times)).toISOString();
        report.mailsUntil = new Date(Math.max(...times)).toISOString();
      }
    });
  }

  const parse = options.parseInThread ? parseInThread : parseBatches;
  for await (const batch of parse(input, {
    withProof: options.withProof,
    mapping: options.mapping,
    batchSize,
    now: clock.now(),
    attributeTypes: Object.fromEntries(await attributeTypesOf(database.db, options.list.id)),
  })) {
    report.delimiter = batch.delimiter;
    for (const { line, reason } of batch.bad) bad(line, reason);
    report.existing += batch.repeats;
    report.rows = batch.rowsRead;
    if (batch.rows.length > 0) await flush(batch.rows, batch.hashes);
    options.onProgress?.(report.rows);
  }
  return report;
}
