/**
 * Rows for PostgreSQL's `COPY … FROM STDIN` in its text format: a parameter of a statement
 * `copy <table> (<columns>) from stdin` that the PostgreSQL connection (database.ts) streams to
 * the server with pg-copy-streams instead of sending it as a bind parameter. In the caller's
 * transaction, like any other statement.
 */
export class CopyRows {
  readonly text: string;
  readonly count: number;

  constructor(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>) {
    this.count = rows.length;
    this.text = rows.map((row) => `${row.map(field).join('\t')}\n`).join('');
  }
}

/** One field of the text format: \N for null, backslash escapes for the delimiter, line ends and backslash. */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
