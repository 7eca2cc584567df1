import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { TokenCodec } from '../consent/tokens.js';
import type { Database } from '../db/database.js';
import { allLists } from '../lists/lists.repo.js';
import { AppError } from '../shared/app-error.js';
import type { UnsubscribeService } from '../unsubscribe/unsubscribe.service.js';
import type { FeedbackService } from './feedback.service.js';
import { networkOf } from './client-network.js';
import { systemClock } from '../shared/clock.js';

export interface InboundOptions {
  host: string;
  port: number;
  maxBytes: number;
  /** LISTWARDEN_BOUNCE_DOMAIN; list From domains are accepted too. */
  bounceDomain: string | undefined;
  database: Database;
  tokens: TokenCodec;
  feedback: FeedbackService;
  unsubscribe: UnsubscribeService;
  logger: Logger;
  limits?: InboundLimits;
}

/** What one client may hold of the listener, so nobody can starve it. */
export interface InboundLimits {
  /** Connections at a time from one IP address. */
  perClient: number;
  /** Connections at a time from one network (/24, IPv6 /64), so many addresses cannot fill the listener. */
  perNetwork: number;
  /** A session with no command for this long is closed. */
  idleMs: number;
  /** No session lasts longer, however busy (a NOOP every few seconds does not keep it open). */
  sessionMs: number;
  /** The message (DATA) must arrive within this time (one byte every few seconds does not keep it open). */
  dataMs: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = {
  perClient: 10,
  perNetwork: 50,
  idleMs: 30_000,
  sessionMs: 5 * 60_000,
  dataMs: 60_000,
};

export interface InboundServer {
  port: number;
  close(): Promise<void>;
}

type Mailbox = { kind: 'bounce'; address: string } | { kind: 'unsubscribe'; token: string };

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The inbound SMTP listener for the bounce and opt-out addresses (the MTA forwards the bounce
 * domain to it). It takes mail only for `bounces[+token]@` and `unsubscribe+token@` at our own
 * domains and refuses every other recipient with 550, so it can never relay. No AUTH, no
 * software version in the banner, a size limit and timeouts.
 */
export async function startInboundSmtp(options: InboundOptions): Promise<InboundServer> {
  const { logger } = options;
  const limits = options.limits ?? DEFAULT_INBOUND_LIMITS;
  let domains = { at: 0, names: new Set<string>() };
  // Connections per client address, and the raw socket of each session (to end it on time).
  const perClient = new Map<string, number>();
  const perNetwork = new Map<string, number>();
  const down = (counts: Map<string, number>, key: string) => {
    const open = (counts.get(key) ?? 1) - 1;
    if (open <= 0) counts.delete(key);
    else counts.set(key, open);
  };
  const counted = new Set<string>();
  const sockets = new Map<string, Socket>();
  const keyOf = (address: string | undefined, port: number | undefined) =>
    `${(address ?? '').replace(/^::ffff:/, '')}:${port ?? 0}`;

  async function ourDomains(): Promise<Set<string>> {
    if (systemClock.now() - domains.at > 30_000) {
      const names = new Set<string>(
        (await allLists(options.database.db)).map((l) =>
          l.from_address.slice(l.from_address.lastIndexOf('@') + 1).toLowerCase(),
        ),
      );
      if (options.bounceDomain) names.add(options.bounceDomain.toLowerCase());
      domains = { at: systemClock.now(), names };
    }
    return domains.names;
  }

  async function mailboxOf(address: string): Promise<Mailbox | undefined> {
    const at = address.lastIndexOf('@');
    if (at < 1 || address.length > 320) return undefined;
    const local = address.slice(0, at);
    const domain = address.slice(at + 1).toLowerCase();
    if (!(await ourDomains()).has(domain)) return undefined;
    if (/^bounces(\+[A-Za-z0-9]{1,64})?$/i.test(local)) return { kind: 'bounce', address };
    const unsubscribe = /^unsubscribe\+([A-Za-z0-9_-]{43})$/.exec(local);
    if (unsubscribe && options.tokens.verify(unsubscribe[1] as string, 'unsubscribe').ok)
      return { kind: 'unsubscribe', token: unsubscribe[1] as string };
    return undefined;
  }

  const server = new SMTPServer({
    name: 'listwarden-inbound',
    banner: 'feedback intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    size: options.maxBytes,
    socketTimeout: limits.idleMs,
    closeTimeout: 5_000,
    // The per-client and per-network caps below are what protect others; this is only the last resort.
    maxClients: 1000,
    // The greeting never looks up the client's name (no DNS to wait for, nothing of theirs echoed).
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      const address = session.remoteAddress ?? '';
      const network = networkOf(address);
      const open = perClient.get(address) ?? 0;
      if (open >= limits.perClient) {
        return callback(smtpError(421, '4.7.0 Too many connections from your address, try again later'));
      }
      const openInNetwork = perNetwork.get(network) ?? 0;
      if (openInNetwork >= limits.perNetwork) {
        return callback(smtpError(421, '4.7.0 Too many connections from your network, try again later'));
      }
      perClient.set(address, open + 1);
      perNetwork.set(network, openInNetwork + 1);
      counted.add(session.id);
      callback();
    },
    onClose(session) {
      if (!counted.delete(session.id)) return;
      const address = session.remoteAddress ?? '';
      down(perClient, address);
      down(perNetwork, networkOf(address));
    },
    onRcptTo(address: SMTPServerAddress, session, callback) {
      if (session.envelope.rcptTo.length >= 50) return callback(smtpError(452, '4.5.3 Too many recipients'));
      mailboxOf(address.address)
        .then((mailbox) => {
          if (!mailbox)
            return callback(
              smtpError(
                550,
                '5.7.1 Relaying denied: this server only takes bounces and unsubscribe requests for its own addresses',
              ),
            );
          callback();
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'inbound recipient check failed');
          callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      const socket = sockets.get(keyOf(session.remoteAddress, session.remotePort));
      const slow = setTimeout(() => socket?.destroy(), limits.dataMs);
      slow.unref();
      stream.once('end', () => clearTimeout(slow));
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the rest is read and dropped, never held in memory.
        if (size <= options.maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (size > options.maxBytes || (stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          return callback(smtpError(552, `5.3.4 Message too big: the limit is ${options.maxBytes} bytes`));
        }
        const raw = Buffer.concat(chunks);
        (async () => {
          // The recipients of this transaction (a RSET or a new MAIL FROM starts a fresh envelope).
          const mailboxes = (await Promise.all(session.envelope.rcptTo.map((r) => mailboxOf(r.address)))).filter(
            (m): m is Mailbox => m !== undefined,
          );
          for (const mailbox of mailboxes) {
            if (mailbox.kind === 'unsubscribe') {
              await options.unsubscribe.unsubscribe(
                mailbox.token,
                { ip: session.remoteAddress ?? null, userAgent: null, source: 'mailto', channel: 'mail' },
                'mailto',
              );
            }
          }
          const bounces = mailboxes.filter((m): m is Extract<Mailbox, { kind: 'bounce' }> => m.kind === 'bounce');
          if (bounces.length > 0)
            await options.feedback.ingest(raw, { channel: 'smtp', envelopeRecipients: bounces.map((b) => b.address) });
        })()
          .then(() => callback(null, 'Accepted'))
          .catch((error: unknown) => {
            logger.error({ err: error }, 'inbound message could not be stored');
            callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
          });
      });
    },
  });
  server.on('error', (error) => logger.warn({ err: error }, 'inbound SMTP connection error'));
  server.server.on('connection', (socket: Socket) => {
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    sockets.set(key, socket);
    const lifetime = setTimeout(() => socket.destroy(), limits.sessionMs);
    lifetime.unref();
    socket.once('close', () => {
      clearTimeout(lifetime);
      sockets.delete(key);
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        new AppError(
          'unavailable',
          error.code === 'EADDRINUSE'
            ? `The inbound SMTP port ${options.host}:${options.port} is already in use; set LISTWARDEN_INBOUND_PORT to a free port (or 0 for any).`
            : `The inbound SMTP listener cannot start on ${options.host}:${options.port}: ${error.message}.`,
        ),
      );
    server.server.once('error', failed);
    server.listen(options.port, options.host, () => {
      server.server.off('error', failed);
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
