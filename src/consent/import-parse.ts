import { invalidInput } from '../shared/app-error.js';
import { readCsv, type CsvDelimiter } from '../subscribers/csv-reader.js';
import { parseHeader, parseRow, type ImportColumns, type ImportRow } from '../subscribers/csv-rows.js';
import { suppressionHash } from './suppression-key.js';
import type { AttributeType } from '../subscribers/attribute-values.js';

/** How an import file is read: the same in the importing thread and in a parsing thread. */
export interface ParseOptions {
  withProof: boolean;
  /** The console's column mapping (see ImportOptions.mapping). */
  mapping?: readonly string[] | undefined;
  batchSize: number;
  /**
   * A batch also ends at this many characters of addresses, names and attributes (default 4 MiB):
   * with rows of up to 64 KiB, 2,000 of them could be 128 MB, so memory stays flat whatever the
   * rows hold.
   */
  batchChars?: number;
  /** The time rows are checked against (a confirmation time may not lie in the future). */
  now: number;
  /** The attribute types the list declares: those columns are stored as these types. */
  attributeTypes?: Record<string, AttributeType>;
}

/** One batch of rows ready to write: valid, each address once, with its suppression hash. */
export interface ParsedBatch {
  rows: ImportRow[];
  /** SHA-256 of each row's address key, as the suppression list keeps them. */
  hashes: string[];
  /** Rows that could not be read or are not valid, with their line. */
  bad: Array<{ line: number; reason: string }>;
  /** Rows of the file read up to the end of this batch (the header not counted). */
  rowsRead: number;
  /** Addresses seen twice within the batch (the later ones are skipped as existing). */
  repeats: number;
  delimiter: CsvDelimiter;
}

/**
 * Reads a CSV into batches: the header checked (a header that cannot be used is a 400 naming the
 * line), every row checked, addresses normalised and hashed. No I/O but the input: the same code
 * runs in the importing thread or in a thread of its own (import-thread.ts).
 */
export async function* parseBatches(
  input: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
  options: ParseOptions,
): AsyncGenerator<ParsedBatch> {
  let columns: ImportColumns | undefined;
  let delimiter: CsvDelimiter = 'comma';
  let rowsRead = 0;
  let batch = fresh();
  let keys = new Set<string>();
  let chars = 0;
  const batchChars = options.batchChars ?? 4 * 1024 * 1024;
  // A batch ends at batchSize rows to write or batchSize bad rows (a file of bad rows keeps a
  // batch of reasons, not all of them), or at batchChars characters.
  const full = () =>
    batch.rows.length >= options.batchSize || batch.bad.length >= options.batchSize || chars >= batchChars;

  function fresh(): ParsedBatch {
    return { rows: [], hashes: [], bad: [], rowsRead: 0, repeats: 0, delimiter };
  }
  function done(): ParsedBatch {
    const out = { ...batch, rowsRead, delimiter };
    batch = fresh();
    keys = new Set();
    chars = 0;
    return out;
  }

  for await (const items of readCsv(input, undefined, (d) => (delimiter = d))) {
    for (const item of items) {
      if (!columns) {
        if (!item.ok) throw invalidInput(`line ${item.line}: the header row is not valid CSV: ${item.reason}.`);
        try {
          if (options.mapping && options.mapping.length !== item.record.length)
            throw new Error(
              `line 1: the mapping names ${options.mapping.length} columns but the file has ${item.record.length}.`,
            );
          columns = options.mapping
            ? parseHeader(options.mapping, options.withProof, { skipUnnamed: true })
            : parseHeader(item.record, options.withProof);
        } catch (error) {
          throw invalidInput((error as Error).message);
        }
        continue;
      }
      rowsRead++;
      if (!item.ok) {
        batch.bad.push({ line: item.line, reason: `not valid CSV: ${item.reason}` });
        if (full()) yield done();
        continue;
      }
      const parsed = parseRow(item.record, item.line, columns, options.now, options.attributeTypes);
      if (!parsed.ok) {
        batch.bad.push({ line: item.line, reason: parsed.reason });
        if (full()) yield done();
        continue;
      }
      if (keys.has(parsed.row.key)) {
        batch.repeats++;
        continue;
      }
      keys.add(parsed.row.key);
      batch.rows.push(parsed.row);
      batch.hashes.push(suppressionHash(parsed.row.key));
      chars += parsed.row.email.length + (parsed.row.name?.length ?? 0) + parsed.row.attributes.length;
      if (full()) yield done();
    }
  }
  if (!columns) throw invalidInput('The file is empty: it needs a header row such as "email,name".');
  yield done();
}
