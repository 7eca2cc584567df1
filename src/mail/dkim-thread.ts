import { createPrivateKey } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { signatureHeaders, type DkimKey } from './dkim.js';

// A signing thread: keeps the keys it is given ({ key }) and answers { id, headers } for
// { id, raw, keyIds }. The whole signature is made here (body hash, canonical headers,
// private-key operation), so the thread that renders and sends only hands the bytes over.
const keys = new Map<number, DkimKey>();

type Job =
  | { key: { id: number; domain: string; selector: string; pem: string } }
  | { id: number; raw: Uint8Array; keyIds: number[] };

parentPort?.on('message', (job: Job) => {
  if ('key' in job) {
    keys.set(job.key.id, { domain: job.key.domain, selector: job.key.selector, key: createPrivateKey(job.key.pem) });
    return;
  }
  try {
    const raw = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength);
    const chosen = job.keyIds.map((id) => {
      const key = keys.get(id);
      if (!key) throw new Error(`key ${id} was not handed to this thread`);
      return key;
    });
    parentPort?.postMessage({ id: job.id, headers: signatureHeaders(raw, chosen) });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
