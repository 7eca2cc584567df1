import { execFile } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { systemClock } from '../shared/clock.js';

/** At most this much of any one file is read: configuration files are small, logs are tailed. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The host being audited: its files under a root (`/` or a mounted image) and, for the live
 * host only, its commands. Every check reads through this, so fixture roots test the rules.
 */
export interface Host {
  root: string;
  /** True when the root is this running system, so commands and sockets describe it. */
  live: boolean;
  read(path: string): string | undefined;
  /** The last `bytes` of a file (logs). */
  tail(path: string, bytes: number): string | undefined;
  list(dir: string): string[];
  mtime(path: string): number | undefined;
  exists(path: string): boolean;
  /** Runs a command of the live host; undefined when it is missing, not live, or timed out. */
  run(command: string, args: readonly string[], options?: { timeoutMs?: number }): Promise<CommandResult | undefined>;
  /** Runs a tool that is told the root in its arguments (apt-get -o Dir=…), for any root. */
  runTool(
    command: string,
    args: readonly string[],
    options?: { timeoutMs?: number },
  ): Promise<CommandResult | undefined>;
  readonly now: number;
}

export function openHost(root: string, options: { now?: number; commandTimeoutMs?: number } = {}): Host {
  const base = resolve(root);
  const live = base === '/';
  const at = (path: string) => join(base, path);
  /** A whole file (the last MAX_FILE_BYTES of a bigger one); /proc files report size 0, so read them whole. */
  const readWhole = (path: string): string | undefined => {
    try {
      const buffer = readFileSync(at(path));
      return (
        buffer.byteLength > MAX_FILE_BYTES ? buffer.subarray(buffer.byteLength - MAX_FILE_BYTES) : buffer
      ).toString('utf8');
    } catch {
      return undefined;
    }
  };
  /** Only the last `bytes` of a file: a big log is never read whole. */
  const readTail = (path: string, bytes: number): string | undefined => {
    let fd: number | undefined;
    try {
      fd = openSync(at(path), 'r');
      const size = fstatSync(fd).size;
      const length = Math.min(size, bytes);
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, size - length);
      return buffer.subarray(0, read).toString('utf8');
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  return {
    root: base,
    live,
    // A getter: a host opened once by `serve` for its periodic check keeps the right time.
    get now() {
      return options.now ?? systemClock.now();
    },
    read: readWhole,
    tail: readTail,
    list(dir) {
      try {
        return readdirSync(at(dir)).sort();
      } catch {
        return [];
      }
    },
    mtime(path) {
      try {
        return statSync(at(path)).mtimeMs;
      } catch {
        return undefined;
      }
    },
    exists(path) {
      try {
        statSync(at(path));
        return true;
      } catch {
        return false;
      }
    },
    run(command, args, runOptions = {}) {
      return live
        ? execute(command, args, runOptions.timeoutMs ?? options.commandTimeoutMs ?? 5000)
        : Promise.resolve(undefined);
    },
    runTool(command, args, runOptions = {}) {
      return execute(command, args, runOptions.timeoutMs ?? options.commandTimeoutMs ?? 5000);
    },
  };
}

function execute(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult | undefined> {
  return new Promise((resolveRun) => {
    execFile(
      command,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: unknown; killed?: boolean }) | null;
        if (e && (e.code === 'ENOENT' || e.killed)) return resolveRun(undefined);
        resolveRun({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
