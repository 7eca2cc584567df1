import { systemClock } from '../shared/clock.js';

/**
 * Progress of a long command on stderr: a bar on a terminal, a JSON line a second with `--json`
 * (stdout stays the result), nothing when stderr is a file or a pipe without `--json`.
 */
export function createProgress(options: { total: number; json: boolean; terminal: boolean; noun: string }) {
  const { total, json, terminal, noun } = options;
  let last = 0;
  let shown = false;
  const every = json ? 1000 : 200;
  const write = (done: number, count: number, final: boolean) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    if (json) {
      process.stderr.write(`${JSON.stringify({ progress: Math.round(fraction * 1000) / 1000, [noun]: count })}\n`);
    } else if (terminal) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${count.toLocaleString('en')} ${noun}`;
      process.stderr.write(`\r${bar}${final ? '\n' : ''}`);
    }
    shown = true;
  };
  return {
    /** `done` of `total` (bytes or items) and how many records so far. */
    update(done: number, count: number): void {
      if (!json && !terminal) return;
      const now = systemClock.now();
      if (now - last < every) return;
      last = now;
      write(done, count, false);
    },
    finish(count: number): void {
      if (shown || json) write(total, count, true);
    },
  };
}
