import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { insertSubscriptionsBulk, recordEventsBulk } from '../consent/consent.repo.js';
import type { Database } from '../db/database.js';
import type { ListRow } from '../db/schema.js';
import { enqueueMany, lastScheduled, newMessageId } from '../mail/outbox.repo.js';
import { invalidInput } from '../shared/app-error.js';
import { suppressionHash } from '../unsubscribe/suppression-key.js';
import { suppressedAmong } from '../unsubscribe/unsubscribe.repo.js';
import { parseHeader, parseRow, type ImportColumns, type ImportRow } from './csv-rows.js';
import { idsByKeys, insertSubscribersBulk } from './subscribers.repo.js';

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
}

const MAX_KEPT_ERRORS = 1000;

/**
 * Streams a CSV into a list in batches, one transaction each: a crash loses at most the batch
 * in flight, and running the same file again skips what is already there.
 */
export async function importCsv(database: Database, input: Readable, options: ImportOptions): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 2000;
  const report: ImportReport = {
    rows: 0, imported: 0, existing: 0, suppressed: 0, invalid: 0, errors: [], confirmationMails: 0, mailsFrom: null, mailsUntil: null,
  };
  const bad = (line: number, reason: string) => {
    report.invalid++;
    if (report.errors.length < MAX_KEPT_ERRORS) report.errors.push({ line, reason });
    options.onBadRow?.(line, reason);
  };
  const interval = 3_600_000 / options.mailsPerHour;
  let nextMailAt = Math.max(Date.now(), ((await lastScheduled(database.db, 'confirmation')) ?? 0) + interval);
  const domain = options.list.from_address.slice(options.list.from_address.lastIndexOf('@') + 1);

  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, info: true, max_record_size: 64 * 1024 });
  parser.on('skip', (error: Error & { lines?: number }) => {
    report.rows++;
    bad(error.lines ?? 0, `not valid CSV: ${error.message}`);
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  async function flush(rows: ImportRow[]): Promise<void> {
    const now = Date.now();
    const byHash = new Map(rows.map((r) => [suppressionHash(r.key), r]));
    const suppressed = await suppressedAmong(database.db, database.dialect, [...byHash.keys()]);
    const wanted = [...byHash].filter(([hash]) => !suppressed.has(hash)).map(([, r]) => r);
    report.suppressed += suppressed.size;
    await database.transaction(async (trx) => {
      await insertSubscribersBulk(trx, database.dialect, wanted, now);
      const ids = await idsByKeys(trx, database.dialect, wanted.map((r) => r.key));
      const withIds = wanted.map((r) => ({ row: r, id: ids.get(r.key) as number }));
      const created = new Set(
        await insertSubscriptionsBulk(
          trx,
          database.dialect,
          options.list.id,
          withIds.map(({ row, id }) => ({ subscriberId: id, status: options.withProof ? 'confirmed' : 'pending', confirmedAt: row.confirmedAt })),
          now,
        ),
      );
      const fresh = withIds.filter(({ id }) => created.has(id));
      report.imported += fresh.length;
      report.existing += wanted.length - fresh.length;
      await recordEventsBulk(
        trx,
        database.dialect,
        'imported',
        options.list.id,
        fresh.map(({ row, id }) => ({
          subscriberId: id,
          at: now,
          ip: row.confirmIp,
          source: options.source,
          detail: JSON.stringify(
            options.withProof
              ? { channel: 'import', line: row.line, proof: { confirmedAt: new Date(row.confirmedAt as number).toISOString(), confirmIp: row.confirmIp } }
              : { channel: 'import', line: row.line, confirmationMail: 'queued (re-permission)' },
          ),
        })),
      );
      if (!options.withProof && fresh.length > 0) {
        const mails = fresh.map(({ id }) => {
          const notBefore = Math.round(nextMailAt);
          nextMailAt += interval;
          return { subscriberId: id, messageId: newMessageId(domain), notBefore };
        });
        await enqueueMany(trx, database.dialect, 'confirmation', options.list.id, mails, now);
        report.confirmationMails += mails.length;
        report.mailsFrom ??= new Date((mails[0] as { notBefore: number }).notBefore).toISOString();
        report.mailsUntil = new Date((mails[mails.length - 1] as { notBefore: number }).notBefore).toISOString();
      }
    });
  }

  let columns: ImportColumns | undefined;
  let batch: ImportRow[] = [];
  let keysInBatch = new Set<string>();
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!columns) {
      try {
        columns = parseHeader(record, options.withProof);
      } catch (error) {
        parser.destroy();
        input.destroy();
        throw invalidInput((error as Error).message);
      }
      continue;
    }
    report.rows++;
    const parsed = parseRow(record, info.lines, columns, Date.now());
    if (!parsed.ok) {
      bad(info.lines, parsed.reason);
      continue;
    }
    if (keysInBatch.has(parsed.row.key)) {
      report.existing++;
      continue;
    }
    keysInBatch.add(parsed.row.key);
    batch.push(parsed.row);
    if (batch.length >= batchSize) {
      await flush(batch);
      batch = [];
      keysInBatch = new Set();
    }
  }
  if (!columns) throw invalidInput('The file is empty: it needs a header row such as "email,name".');
  if (batch.length > 0) await flush(batch);
  return report;
}
