import { Writable } from 'node:stream';
import { withoutControls } from './terminal-text.js';

const LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** One JSON log line as a person reads it: time, level, message, then the fields. Pure. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return withoutControls(json);
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = LEVELS[Number(entry.level)] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => {
      if (key === 'req' && value && typeof value === 'object') {
        const req = value as { method?: string; url?: string };
        return `${req.method ?? ''} ${req.url ?? ''}`;
      }
      if (key === 'res' && value && typeof value === 'object')
        return String((value as { statusCode?: number }).statusCode);
      if (key === 'err' && value && typeof value === 'object')
        return `error: ${String((value as { message?: string }).message)}`;
      return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    });
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  return withoutControls(`${time} ${level} ${message}${fields.length ? `  ${fields.join('  ')}` : ''}`);
}

/** A log destination for a terminal: pino writes JSON lines, this prints them readably. */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += String(chunk);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        out.write(`${prettyLine(pending.slice(0, newline))}\n`);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      done();
    },
  });
}
