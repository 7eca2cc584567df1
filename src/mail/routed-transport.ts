import { createTransport } from './create-transport.js';
import type { Transport } from './transport.js';

/**
 * A transport whose URL is read at each message (a setting): when it changes, the old transport
 * is closed after its sends and a new one built. Used for the transactional route, so order mail
 * can leave by its own relay while marketing has trouble.
 */
export function createRoutedTransport(url: () => string): Transport {
  let current: { url: string; transport: Transport } | undefined;
  const transportFor = (wanted: string): Transport => {
    if (current?.url !== wanted) {
      const old = current?.transport;
      current = { url: wanted, transport: createTransport(wanted, { bulkConnections: 2 }) };
      void old?.close().catch(() => undefined);
    }
    return current.transport;
  };
  return {
    get name() {
      return transportFor(url()).name;
    },
    send: (message) => transportFor(url()).send(message),
    async close() {
      await current?.transport.close();
    },
  };
}
