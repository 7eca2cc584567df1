import { withoutControls } from '../shared/terminal-text.js';
/** Prints data for machines (`--json`) or people (aligned columns). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printTable<T extends object>(rows: readonly T[], columns: readonly string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const text = (v: unknown): string =>
    v === null || v === undefined
      ? '-'
      : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? withoutControls(String(v))
        : withoutControls(JSON.stringify(v));
  const cell = (r: T, c: string) => text((r as Record<string, unknown>)[c]);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    [line([...columns]), ...rows.map((r) => line(columns.map((c) => cell(r, c))))].join('\n') + '\n',
  );
}
