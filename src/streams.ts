import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { PeopleService } from './consent/people.service.js';
import type { SignupService } from './consent/signup.js';
import type { Database, Db } from './db/database.js';
import { suppressionHash } from './consent/suppression-key.js';
import { eraseTransactionalOf } from './mail/outbox.repo.js';
import type { ListsService } from './lists/lists.service.js';
import type { ReturnPath } from './mail/envelope.js';
import type { OwnerAlerts } from './mail/owner-alert.js';
import { createOutboxWorker, type OutboxWorker } from './mail/outbox-worker.js';
import { DEFAULT_RETRY_POLICY } from './mail/retry-policy.js';
import { createRoutedTransport } from './mail/routed-transport.js';
import type { OutgoingMessage, Transport } from './mail/transport.js';
import type { Clock } from './shared/clock.js';
import { pruneDeliveries } from './shop/inbound-webhooks.repo.js';
import { createShopService, type ShopService } from './shop/shop.service.js';
import { KEEP_DELIVERY_IDS_MS } from './shop/shop-webhooks.js';
import { txMailHandler } from './transactional/tx-mail.js';
import { pruneRequests } from './transactional/tx.repo.js';
import { createTxService, IDEMPOTENCY_WINDOW_MS, type TxService } from './transactional/tx.service.js';
import { createTxTemplatesService, type TxTemplatesService } from './transactional/tx-templates.service.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks/dispatcher.js';
import { DEFAULT_DELIVERY_POLICY, orderingKeys } from './webhooks/events.js';
import { eraseDeliveredEventsOf, pruneDelivered } from './webhooks/webhooks.repo.js';
import { createWebhooksService, type WebhooksService } from './webhooks/webhooks.service.js';

/** Delivered webhook deliveries and their log are kept this long. */
const KEEP_DELIVERED_MS = 30 * 86_400_000;

export interface Streams {
  txTemplates: TxTemplatesService;
  tx: TxService;
  /** The transactional stream's own worker: claims only transactional mail, by its own route. */
  txWorker: OutboxWorker;
  txTransport: Transport;
  webhooks: WebhooksService;
  dispatcher: WebhookDispatcher;
  shop: ShopService;
  /** Forgets idempotency keys, delivered webhooks and shop delivery ids past their time. */
  housekeeping(): Promise<void>;
}

/**
 * Part of the composition root (main.ts calls it): the shop streams of issue 16 — transactional
 * mail with its worker and route, outgoing webhooks and their dispatcher, Shopify and WooCommerce.
 */
export function createStreams(deps: {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  secrets: readonly string[];
  lists: ListsService;
  signup: SignupService;
  people: PeopleService;
  returnPath: ReturnPath;
  alerts: OwnerAlerts;
  sign: (message: OutgoingMessage) => Promise<OutgoingMessage>;
  /** Wakes the main worker (an owner alert was queued). */
  onAlertQueued: () => void;
}): Streams {
  const { config, database, clock, logger } = deps;
  const txTemplates = createTxTemplatesService({ database, clock });
  const txTransport = createRoutedTransport(() => config.txSmtpUrl ?? config.smtpUrl);
  const txWorker = createOutboxWorker({
    clock,
    database,
    transport: txTransport,
    logger,
    kinds: { only: ['transactional'] },
    leaseMs: config.outbox.leaseMs,
    concurrency: 4,
    batchSize: 20,
    // Order mail waits no poll: `accept` wakes the worker.
    pollMs: 1000,
    retryPolicy: { ...DEFAULT_RETRY_POLICY, baseDelayMs: config.outbox.retryBaseMs },
    sign: deps.sign,
    handlers: {
      transactional: txMailHandler({
        database,
        returnPath: deps.returnPath,
        feedbackSenderId: config.feedbackSenderId,
      }),
    },
  });
  const tx = createTxService({
    database,
    clock,
    templates: txTemplates,
    defaultFrom: () => config.streams.tx.from,
    onQueued: () => txWorker.poke(),
  });
  const webhooks = createWebhooksService({ database, clock, secrets: deps.secrets });
  const dispatcher = createWebhookDispatcher({
    database,
    clock,
    logger,
    openSecret: (sealed) => webhooks.openSecret(sealed),
    alerts: deps.alerts,
    onQueued: deps.onAlertQueued,
    // The outbox's lease: a process that dies mid-request leaves its deliveries to the next claim
    // once it runs out; a request never outlives half of it.
    leaseMs: config.outbox.leaseMs,
    timeoutMs: Math.min(10_000, Math.floor(config.outbox.leaseMs / 2)),
    policy: {
      ...DEFAULT_DELIVERY_POLICY,
      get disableAfterMs() {
        return config.streams.webhookDisableAfterMs;
      },
    },
  });
  const shop = createShopService({
    database,
    clock,
    logger,
    settings: () => config.streams,
    lists: deps.lists,
    signup: deps.signup,
    people: deps.people,
    alerts: deps.alerts,
    onQueued: deps.onAlertQueued,
  });
  return {
    txTemplates,
    tx,
    txWorker,
    txTransport,
    webhooks,
    dispatcher,
    shop,
    async housekeeping() {
      const now = clock.now();
      await pruneRequests(database.db, now - IDEMPOTENCY_WINDOW_MS);
      await pruneDelivered(database.db, now - KEEP_DELIVERED_MS);
      await pruneDeliveries(database.db, now - KEEP_DELIVERY_IDS_MS);
    },
  };
}

/** Erasure: order mail to the address and the delivered webhook events about the person. */
export async function eraseStreamsOf(
  trx: Db,
  person: { emailKey: string; subscriberId?: number | undefined },
  now: number,
): Promise<void> {
  const hash = suppressionHash(person.emailKey);
  await eraseTransactionalOf(trx, hash, now);
  await eraseDeliveredEventsOf(trx, [
    orderingKeys.address(hash),
    ...(person.subscriberId !== undefined ? [orderingKeys.subscriber(person.subscriberId)] : []),
  ]);
}
