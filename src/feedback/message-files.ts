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
      const names = (await readdir(path)).filter((n) => !n.startsWith('.')).sort();
      for (const name of names) {
        const file = join(path, name);
        if ((await stat(file)).isFile()) yield* messagesIn([file]);
      }
      continue;
    }
    if (await startsWithFromLine(path)) yield* mboxMessages(path);
    else yield await readFile(path);
  }
}
