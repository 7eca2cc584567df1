import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '../shared/app-error.js';
import { MAX_REPORT_BYTES } from './parse-feedback.js';

/** mboxrd: a line `From ` starts a message; `>From ` (any number of `>`) loses one `>`. */
async function* mboxMessages(path: string): AsyncGenerator<Buffer> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'latin1' }), crlfDelay: Infinity });
  let current: string[] | undefined;
  let size = 0;
  for await (const line of lines) {
    if (line.startsWith('From ')) {
      if (current) yield Buffer.from(current.join('\r\n'), 'latin1');
      current = [];
      size = 0;
      continue;
    }
    if (!current || size > MAX_REPORT_BYTES + 1) continue;
    const unquoted = /^>+From /.test(line) ? line.slice(1) : line;
    current.push(unquoted);
    size += unquoted.length + 2;
  }
  if (current) yield Buffer.from(current.join('\r\n'), 'latin1');
}

async function startsWithFromLine(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(5);
    await handle.read(head, 0, 5, 0);
    return head.toString('latin1') === 'From ';
  } finally {
    await handle.close();
  }
}

/** Reads a folder's files a few at a time ahead of the consumer, in order (disk reads overlap the work). */
async function* filesInOrder(files: readonly string[], ahead = 16): AsyncGenerator<Buffer> {
  const read = async (file: string): Promise<{ mbox: boolean; data?: Buffer }> =>
    (await startsWithFromLine(file)) ? { mbox: true } : { mbox: false, data: await readFile(file) };
  const pending: Array<Promise<{ mbox: boolean; data?: Buffer }>> = [];
  let next = 0;
  for (let i = 0; i < files.length; i++) {
    while (next < files.length && next < i + ahead) {
      const reading = read(files[next++] as string);
      reading.catch(() => {}); // handled when its turn comes; this only keeps it from counting as unhandled
      pending.push(reading);
    }
    const item = await (pending.shift() as Promise<{ mbox: boolean; data?: Buffer }>);
    if (item.mbox) yield* mboxMessages(files[i] as string);
    else yield item.data as Buffer;
  }
}

/**
 * Every message in the given paths: `.eml` files (one message each), mbox files (recognised by
 * their first `From ` line) and folders of either (one level, in name order). One message in
 * memory at a time.
 */
export async function* messagesIn(paths: readonly string[]): AsyncGenerator<Buffer> {
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new AppError('not_found', `Cannot read ${path}: no such file or folder.`);
    }
    if (info.isDirectory()) {
      const files = (await readdir(path, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => join(path, e.name))
        .sort();
      yield* filesInOrder(files);
      continue;
    }
    if (await startsWithFromLine(path)) yield* mboxMessages(path);
    else yield await readFile(path);
  }
}

/**
 * The same messages, each with the file it came from as given on the command line (a folder's
 * files as `folder/name`; every message of an mbox file under that file's name).
 */
export async function* sourcedMessagesIn(paths: readonly string[]): AsyncGenerator<{ file: string; raw: Buffer }> {
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new AppError('not_found', `Cannot read ${path}: no such file or folder.`);
    }
    const files = info.isDirectory()
      ? (await readdir(path, { withFileTypes: true }))
          .filter((e) => e.isFile() && !e.name.startsWith('.'))
          .map((e) => join(path, e.name))
          .sort()
      : [path];
    for (const file of files) {
      if (await startsWithFromLine(file)) for await (const raw of mboxMessages(file)) yield { file, raw };
      else yield { file, raw: await readFile(file) };
    }
  }
}

/** How many files the given paths hold (a folder's files, one level), for a progress bar; unreadable paths count 0. */
export async function countFiles(paths: readonly string[]): Promise<number> {
  let count = 0;
  for (const path of paths) {
    try {
      const info = await stat(path);
      count += info.isDirectory()
        ? (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).length
        : 1;
    } catch {
      // messagesIn reports it
    }
  }
  return count;
}
