import nodemailer from 'nodemailer';
import { DeliveryError, type Delivery, type OutgoingMessage, type Transport } from './transport.js';

/** SMTP through a nodemailer connection pool (`smtp://user:pass@host:port`, `smtps://…`). */
export function createSmtpTransport(url: string): Transport {
  const transporter = nodemailer.createTransport({ url, pool: true, maxConnections: 5, maxMessages: 1000 } as never);
  return {
    name: url.replace(/\/\/[^@/]*@/, '//***@'),
    async send(message: OutgoingMessage): Promise<Delivery> {
      try {
        const info = (await transporter.sendMail({
          envelope: { from: message.envelopeFrom, to: [message.envelopeTo] },
          raw: message.raw,
        })) as { response?: string };
        return { response: info.response ?? 'accepted' };
      } catch (error) {
        const e = error as Error & { responseCode?: number; response?: string; code?: string };
        const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
        const text = (e.response ?? e.message ?? String(error)).slice(0, 500);
        // Only a 5xx reply is final; connection trouble and 4xx replies are tried again.
        throw new DeliveryError(text, code !== undefined && code >= 500 && code < 600, code);
      }
    },
    async close() {
      transporter.close();
    },
  };
}
