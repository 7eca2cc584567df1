import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { createPollLoop } from '../shared/poll-loop.js';
import { queueOwnerAlert, type OwnerAlerts } from '../mail/owner-alert.js';
import {
  DEFAULT_DELIVERY_POLICY,
  eventBody,
  eventMessageId,
  isDelivered,
  nextDeliveryAt,
  shouldDisable,
  type DeliveryPolicy,
} from './events.js';
import { webhookHeaders } from './signature.js';
import {
  claimDeliveries,
  disableEndpoint,
  endpointById,
  insertAttempt,
  markEndpointFailing,
  markEndpointHealthy,
  settleDelivery,
  type ClaimedDelivery,
} from './webhooks.repo.js';

export interface WebhookDispatcherOptions {
  database: Database;
  clock: Clock;
  logger: Logger;
  /** Opens an endpoint's sealed secret. */
  openSecret: (sealed: string, endpointId: number) => string | undefined;
  alerts: OwnerAlerts;
  /** After an owner alert was queued (the mail worker is woken). */
  onQueued?: () => void;
  policy?: DeliveryPolicy;
  batchSize?: number;
  concurrency?: number;
  leaseMs?: number;
  timeoutMs?: number;
  pollMs?: number;
  workerId?: string;
}

export interface WebhookDispatcher {
  start(): void;
  poke(): void;
  stop(): Promise<void>;
  /** Delivers everything due now; resolves when nothing due is left (tests, CLI). */
  drain(): Promise<number>;
}

/**
 * Delivers webhook events at least once, in order per subscriber: leased like mail (a process
 * that dies mid-request leaves its deliveries to the next claim once the lease ends), retried with
 * exponential backoff, each try in the delivery log with its response code; an endpoint that
 * fails for days is turned off and the owner told.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { database, clock, logger } = options;
  const policy = options.policy ?? DEFAULT_DELIVERY_POLICY;
  const batchSize = options.batchSize ?? 20;
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollMs ?? 1_000;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  /** One HTTP request: the status code, or the reason there was none. */
  async function post(delivery: ClaimedDelivery): Promise<{ code: number | null; error: string | null }> {
    const secret = options.openSecret(delivery.secret_sealed, delivery.endpoint_id);
    if (!secret) return { code: null, error: 'the signing secret cannot be opened with this installation secret' };
    const body = eventBody(delivery.type, delivery.event_created_at, JSON.parse(delivery.payload));
    const headers = webhookHeaders(secret, eventMessageId(delivery.event_id), Math.floor(clock.now() / 1000), body);
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Listwarden-Webhooks/1', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return {
        code: response.status,
        // Only the code is kept: the receiver's words are not ours to store or show.
        error: isDelivered(response.status) ? null : `answered ${response.status}`,
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const text =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (cause ?? (error as Error).message);
      return { code: null, error: text };
    }
  }

  async function deliverOne(delivery: ClaimedDelivery): Promise<void> {
    const started = clock.now();
    const { code, error } = await post(delivery);
    const now = clock.now();
    const delivered = isDelivered(code ?? undefined);
    let alert: { url: string; since: number } | undefined;
    await database.transaction(async (trx) => {
      const settled = await settleDelivery(
        trx,
        delivery.id,
        workerId,
        delivered
          ? { delivered: true, code: code as number }
          : {
              delivered: false,
              code,
              error: error ?? 'failed',
              nextAt: nextDeliveryAt(delivery.attempts, now, policy),
            },
        now,
      );
      if (!settled) return; // The lease ran out and another process has it now.
      await insertAttempt(trx, { deliveryId: delivery.id, at: started, code, durationMs: now - started, error });
      if (delivered) {
        await markEndpointHealthy(trx, delivery.endpoint_id);
        return;
      }
      const since = await markEndpointFailing(trx, delivery.endpoint_id, now);
      if (!shouldDisable(since, now, policy)) return;
      const days = Math.round((now - since) / 86_400_000);
      if (await disableEndpoint(trx, delivery.endpoint_id, `every delivery failed for ${days} days`, now)) {
        const endpoint = await endpointById(trx, delivery.endpoint_id);
        await queueOwnerAlert(
          trx,
          options.alerts,
          `Webhook endpoint ${delivery.endpoint_id} turned off after ${days} days of failures`,
          [
            `Every delivery to ${endpoint?.url ?? delivery.url} has failed since ${new Date(since).toISOString()}`,
            `(the last one: ${error ?? 'failed'}), so Listwarden turned the endpoint off.`,
            '',
            'Its events are kept. When the receiver works again, turn it back on and they are delivered in order:',
            `  listwarden webhooks update ${delivery.endpoint_id} --enable`,
          ].join('\n'),
          now,
        );
        alert = { url: endpoint?.url ?? delivery.url, since };
      }
    });
    if (alert) {
      logger.warn({ endpointId: delivery.endpoint_id }, 'webhook endpoint turned off after days of failures');
      options.onQueued?.();
    }
    if (!delivered)
      logger.info(
        { endpointId: delivery.endpoint_id, deliveryId: delivery.id, code, error },
        'webhook delivery failed',
      );
  }

  async function passOnce(): Promise<number> {
    const claimed = await claimDeliveries(database.db, database.dialect, {
      workerId,
      now: clock.now(),
      leaseMs,
      limit: batchSize,
    });
    const queue = [...claimed];
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let d = queue.shift(); d; d = queue.shift()) {
          try {
            await deliverOne(d);
          } catch (error) {
            logger.error({ err: error, deliveryId: d.id }, 'webhook delivery could not be settled');
          }
        }
      }),
    );
    return claimed.length;
  }

  const loop = createPollLoop({
    pass: passOnce,
    pollMs,
    onError: (error) => logger.error({ err: error }, 'webhook claim failed'),
  });
  return {
    start: () => loop.start(),
    poke: () => loop.poke(),
    stop: () => loop.stop(),
    drain: () => loop.drain(),
  };
}
