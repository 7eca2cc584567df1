/**
 * The outgoing webhook events, their payloads and the delivery rules (backoff, when an endpoint
 * that keeps failing is turned off). Pure.
 */
export const WEBHOOK_EVENTS = [
  'subscriber.confirmed',
  'subscriber.unsubscribed',
  'subscriber.erased',
  'bounce.hard',
  'complaint',
  'campaign.finished',
  'campaign.stopped',
  'tx.delivered',
  'tx.bounced',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/**
 * One event as it is emitted: its type, what it is about (`orderingKey`: deliveries with the same
 * key reach an endpoint in the order they happened, e.g. one subscriber's), and its data.
 */
export interface WebhookEvent {
  type: WebhookEventType;
  orderingKey: string;
  /** The data, or a function that reads it (called only when an endpoint wants the event). */
  data: Record<string, unknown> | (() => Promise<Record<string, unknown>>);
}

/** Ordering keys: one subscriber's events, one address's transactional mail, one campaign's. */
export const orderingKeys = {
  subscriber: (subscriberId: number) => `subscriber:${subscriberId}`,
  address: (emailHash: string) => `address:${emailHash}`,
  campaign: (campaignId: number) => `campaign:${campaignId}`,
};

/** The body every endpoint receives, in the Standard Webhooks shape: type, timestamp, data. */
export function eventBody(type: string, createdAt: number, data: unknown): string {
  return JSON.stringify({ type, timestamp: new Date(createdAt).toISOString(), data });
}

/** The `webhook-id` of an event: the same on every retry, so a receiver can drop duplicates. */
export function eventMessageId(eventId: number): string {
  return `msg_${eventId}`;
}

/**
 * Parses `--events` (comma-separated, `*` for all) into the sorted set of known events, or names
 * the first unknown one.
 */
export function parseEventList(value: string): { events: WebhookEventType[] } | { error: string } {
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) return { error: `Name at least one event: ${WEBHOOK_EVENTS.join(', ')} (or * for all).` };
  if (parts.includes('*')) return { events: [...WEBHOOK_EVENTS] };
  const unknown = parts.find((part) => !isWebhookEvent(part));
  if (unknown !== undefined)
    return { error: `"${unknown.slice(0, 60)}" is not an event; the events are ${WEBHOOK_EVENTS.join(', ')}.` };
  return { events: WEBHOOK_EVENTS.filter((event) => parts.includes(event)) };
}

export interface DeliveryPolicy {
  /** The first retry waits this long; each next one twice as long. */
  baseDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
  /** An endpoint that has failed for this long without one success is turned off. */
  disableAfterMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  baseDelayMs: 5_000,
  maxDelayMs: 6 * 3_600_000,
  disableAfterMs: 3 * 86_400_000,
};

/** When the next try of a delivery that failed `attempts` times goes (exponential, with ±10% jitter). */
export function nextDeliveryAt(attempts: number, now: number, policy: DeliveryPolicy, random = Math.random): number {
  const wait = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return now + Math.round(wait * (0.9 + 0.2 * random()));
}

/** Whether an endpoint failing since `failingSince` is to be turned off now. */
export function shouldDisable(failingSince: number | null, now: number, policy: DeliveryPolicy): boolean {
  return failingSince !== null && now - failingSince >= policy.disableAfterMs;
}

/** A 2xx answer is a delivery; anything else (and no answer) is retried. */
export function isDelivered(statusCode: number | undefined): boolean {
  return statusCode !== undefined && statusCode >= 200 && statusCode < 300;
}

/** The URL an endpoint may have: http or https, no credentials in it. */
export function checkEndpointUrl(value: string): { url: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {
      error: `"${value.slice(0, 100)}" is not a URL; give the full address, e.g. https://shop.example/hooks/listwarden.`,
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { error: 'A webhook URL starts with https:// (or http:// inside your own network).' };
  if (url.username || url.password)
    return { error: 'Put no user name or password in a webhook URL: the signature proves the sender.' };
  if (value.length > 2000) return { error: 'A webhook URL is at most 2000 characters.' };
  return { url: url.toString() };
}
