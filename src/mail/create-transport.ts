import { createCaptureTransport } from './capture-transport.js';
import { createSmtpTransport } from './smtp-transport.js';
import type { Transport } from './transport.js';

/** Picks the transport named by `LISTWARDEN_SMTP_URL`. */
export function createTransport(url: string): Transport {
  if (url.startsWith('capture:')) return createCaptureTransport(url.slice('capture:'.length));
  return createSmtpTransport(url);
}
