import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { verifyWebhook } from '../../src/webhooks/signature.js';

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The status code the next request gets (default 200); `hang` holds it open without an answer. */
  answer: (request: ReceivedWebhook, n: number) => number | 'hang';
  close(): Promise<void>;
}

/** A real HTTP server on loopback that records every webhook and answers as the test says. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hanging: ServerResponse[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answer: () => 200,
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const got: ReceivedWebhook = {
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      receiver.received.push(got);
      const code = receiver.answer(got, receiver.received.length);
      if (code === 'hang') {
        hanging.push(response);
        return;
      }
      response.writeHead(code, { 'content-type': 'text/plain' }).end(code < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`;
  return receiver;
}

/** Whether a received webhook carries a valid Standard Webhooks signature with `secret`. */
export function signedWith(secret: string, received: ReceivedWebhook): boolean {
  return verifyWebhook(
    secret,
    {
      id: received.headers['webhook-id'] ?? '',
      timestamp: received.headers['webhook-timestamp'] ?? '',
      signature: received.headers['webhook-signature'] ?? '',
    },
    received.body,
  );
}

/** Waits until the receiver's deliveries satisfy `done` (or `timeoutMs` passed). */
export async function receivedUntil(
  receiver: WebhookReceiver,
  done: (received: readonly ReceivedWebhook[]) => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(receiver.received) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
