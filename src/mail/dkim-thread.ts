import { createPrivateKey, type KeyObject } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { signPrepared, type PendingSignature } from './dkim.js';

// A signing thread: holds the private keys as KeyObjects and answers { id, signatures }.
const keys: KeyObject[] = (workerData as { pems: string[] }).pems.map((pem) => createPrivateKey(pem));

parentPort?.on('message', (job: { id: number; pending: Array<{ algorithm: PendingSignature['algorithm']; data: Uint8Array }> }) => {
  try {
    const signatures = job.pending.map((p, i) => signPrepared({ algorithm: p.algorithm, value: '', data: Buffer.from(p.data) }, keys[i] as KeyObject));
    parentPort?.postMessage({ id: job.id, signatures });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
