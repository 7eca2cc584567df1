import { createBulkSmtpTransport } from './bulk-smtp-transport.js';
import { createCaptureTransport } from './capture-transport.js';
import type { Transport } from './transport.js';

/**
 * Picks the transport named by `LISTWARDEN_SMTP_URL`. Over SMTP, campaign mail goes through the
 * lean bulk client and everything else (confirmations, notices) through nodemailer.
 */
export function createTransport(url: string, options: { bulkConnections?: number } = {}): Transport {
  if (url.startsWith('capture:')) return createCaptureTransport(url.slice('capture:'.length));
  // nodemailer is loaded on the first message, so commands that send nothing start faster.
  let loaded: Promise<Transport> | undefined;
  const regularTransport = () => (loaded ??= import('./smtp-transport.js').then((m) => m.createSmtpTransport(url)));
  const regular: Transport = {
    name: url.replace(/\/\/[^@/]*@/, '//***@'),
    send: async (message) => (await regularTransport()).send(message),
    close: async () => {
      if (loaded) await (await loaded).close();
    },
  };
  const bulk = createBulkSmtpTransport(url, { connections: options.bulkConnections ?? 10 });
  return {
    name: regular.name,
    send: (message) => (message.bulk ? bulk.send(message) : regular.send(message)),
    async close() {
      await Promise.all([regular.close(), bulk.close()]);
    },
  };
}
