import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { signatureHeaders, type DkimKey } from './dkim.js';

// A signing thread: holds the keys and answers { id, headers } for { id, raw }. The whole
// signature is made here (body hash, canonical headers, private-key operation), so the thread
// that renders and sends only hands the bytes over.
const keys: DkimKey[] = (workerData as { keys: Array<{ domain: string; selector: string; pem: string }> }).keys.map(
  (k) => ({ domain: k.domain, selector: k.selector, key: createPrivateKey(k.pem) }),
);

parentPort?.on('message', (job: { id: number; raw: Uint8Array }) => {
  try {
    const raw = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength);
    parentPort?.postMessage({ id: job.id, headers: signatureHeaders(raw, keys) });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
