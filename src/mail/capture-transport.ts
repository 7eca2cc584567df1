import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Delivery, OutgoingMessage, Transport } from './transport.js';
import { systemClock } from '../shared/clock.js';

/**
 * Writes each message as a `.eml` file, the default for a first run and for tests. The file
 * starts with `Return-Path:` holding the envelope sender, as a delivering MTA writes it.
 */
export function createCaptureTransport(dir: string): Transport {
  let ready: Promise<unknown> | undefined;
  let sequence = 0;
  return {
    name: `capture:${dir}`,
    async send(message: OutgoingMessage): Promise<Delivery> {
      ready ??= mkdir(dir, { recursive: true });
      await ready;
      const safeId = message.messageId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
      const name = `${systemClock.now()}-${process.pid}-${++sequence}-${safeId}.eml`;
      const file = join(dir, name);
      const temp = `${file}.tmp`;
      const returnPath = Buffer.from(`Return-Path: <${message.envelopeFrom}>\r\n`);
      await writeFile(temp, Buffer.concat([returnPath, message.raw]), { mode: 0o600 });
      // Readers never see a half-written file.
      await rename(temp, file);
      return { response: `captured ${name}` };
    },
    /** Erasure: every captured file whose bytes name the address goes (envelope, headers or body). */
    async forget(address: string): Promise<number> {
      const needle = address.toLowerCase();
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return 0;
      }
      let removed = 0;
      for (const name of names) {
        if (!name.endsWith('.eml')) continue;
        const file = join(dir, name);
        const text = (await readFile(file).catch(() => Buffer.alloc(0))).toString('utf8').toLowerCase();
        if (text.includes(needle)) {
          await unlink(file).catch(() => undefined);
          removed++;
        }
      }
      return removed;
    },
    async close() {},
  };
}
