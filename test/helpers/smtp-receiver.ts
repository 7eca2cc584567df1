import { SMTPServer } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpReceiver {
  url: string;
  port: number;
  received: ReceivedMessage[];
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on loopback. `reply` may answer a recipient with an SMTP
 * error code to simulate 4xx deferrals and 5xx rejections.
 */
export async function startSmtpReceiver(
  reply: (recipient: string, attempt: number) => { code: number; message: string } | undefined = () => undefined,
  options: {
    delayMs?: number;
    onMessage?: (message: ReceivedMessage) => void;
    /** The DATA reply to a message waits for the promise this returns (undefined: no wait). */
    holdReply?: (message: ReceivedMessage) => Promise<void> | undefined;
  } = {},
): Promise<SmtpReceiver> {
  const received: ReceivedMessage[] = [];
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const n = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, n);
      const answer = reply(address.address, n);
      if (answer) {
        const error = new Error(answer.message) as Error & { responseCode: number };
        error.responseCode = answer.code;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const message = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        };
        received.push(message);
        options.onMessage?.(message);
        const hold = options.holdReply?.(message);
        if (hold) void hold.then(() => callback(null, 'Queued as test'));
        else if (options.delayMs) setTimeout(() => callback(null, 'Queued as test'), options.delayMs);
        else callback(null, 'Queued as test');
      });
    },
  });
  // A client killed mid-session (the SIGKILL test) resets its connection; that is not a test failure.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
