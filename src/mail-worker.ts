import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import type { OutboxKind, OutboxRow } from './db/schema.js';
import { createDestinationResolver } from './mail/destinations.js';
import { notificationMailHandler } from './mail/notification-mail.js';
import { createOutboxWorker, type MessageHandler, type OutboxWorker } from './mail/outbox-worker.js';
import { DEFAULT_RETRY_POLICY } from './mail/retry-policy.js';
import { DEFAULT_THROTTLE, Throttle } from './mail/throttle.js';
import type { OutgoingMessage, Transport } from './mail/transport.js';
import type { Clock } from './shared/clock.js';

/**
 * Part of the composition root (main.ts calls it): the main outbox worker, for every kind but
 * transactional mail (which has its own worker and route, streams.ts), with campaign pacing read
 * from the configuration at each message.
 */
export function createMailWorker(deps: {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  transport: Transport;
  sign: (message: OutgoingMessage) => Promise<OutgoingMessage>;
  onRejected: (row: OutboxRow, reply: string) => Promise<void>;
  onDeferred: (row: OutboxRow, destination: string) => Promise<void>;
  handlers: Partial<Record<OutboxKind, MessageHandler>>;
}): OutboxWorker {
  const { config } = deps;
  return createOutboxWorker({
    clock: deps.clock,
    database: deps.database,
    transport: deps.transport,
    logger: deps.logger,
    kinds: { only: ['confirmation', 'campaign', 'notification', 'data_link', 'automation'] },
    leaseMs: config.outbox.leaseMs,
    concurrency: config.outbox.concurrency,
    batchSize: config.outbox.batchSize,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, baseDelayMs: config.outbox.retryBaseMs },
    pacing: {
      // Rates and warm-up are read at each message: a changed setting counts without a restart.
      throttle: new Throttle({
        ...DEFAULT_THROTTLE,
        get globalRate() {
          return config.pacing.globalRate;
        },
        get destinationRate() {
          return config.pacing.destinationRate;
        },
        pauseAfterDeferralMs: config.outbox.retryBaseMs,
      }),
      destinationOf: createDestinationResolver({ servers: config.dnsServers, timeoutMs: config.dnsTimeoutMs }),
      warmup: () => config.pacing.warmup,
    },
    sign: deps.sign,
    onRejected: deps.onRejected,
    onDeferred: deps.onDeferred,
    handlers: { ...deps.handlers, notification: notificationMailHandler() },
  });
}
