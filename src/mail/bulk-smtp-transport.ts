import { SmtpConnection, endpointFromUrl } from './smtp-client.js';
import { DeliveryError, type Delivery, type OutgoingMessage, type Transport } from './transport.js';

/** A pool of lean SMTP connections for campaign mail (see smtp-client.ts). */
export function createBulkSmtpTransport(
  url: string,
  options: { connections?: number; messagesPerConnection?: number } = {},
): Transport {
  const endpoint = endpointFromUrl(url);
  const max = options.connections ?? 10;
  const perConnection = options.messagesPerConnection ?? 1000;
  const idle: SmtpConnection[] = [];
  let free = max;
  const queue: Array<() => void> = [];

  async function acquire(): Promise<SmtpConnection> {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => queue.push(resolve));
    for (let c = idle.pop(); c; c = idle.pop()) if (c.usable) return c;
    try {
      return await SmtpConnection.open(endpoint);
    } catch (error) {
      releaseSlot();
      if (error instanceof DeliveryError) throw error;
      throw new DeliveryError(
        `cannot connect to ${endpoint.host}:${endpoint.port}: ${(error as Error).message}`,
        false,
      );
    }
  }

  function releaseSlot(): void {
    const next = queue.shift();
    if (next) next();
    else free++;
  }

  function release(connection: SmtpConnection): void {
    if (connection.usable && connection.messages < perConnection) idle.push(connection);
    else void connection.quit();
    releaseSlot();
  }

  return {
    name: `bulk ${url.replace(/\/\/[^@/]*@/, '//***@')}`,
    async send(message: OutgoingMessage): Promise<Delivery> {
      const connection = await acquire();
      try {
        return { response: await connection.send(message.envelopeFrom, message.envelopeTo, message.raw) };
      } finally {
        release(connection);
      }
    },
    async close() {
      await Promise.all(idle.splice(0).map((c) => c.quit()));
    },
  };
}
