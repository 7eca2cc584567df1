import type { Database } from '../db/database.js';
import type { WebhookEndpointRow } from '../db/schema.js';
import { AppError, invalidInput } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { open, seal } from '../shared/key-vault.js';
import { checkEndpointUrl, parseEventList, WEBHOOK_EVENTS, type WebhookEventType } from './events.js';
import { newWebhookSecret } from './signature.js';
import * as repo from './webhooks.repo.js';

const PURPOSE = 'listwarden webhook secret v1';

export interface EndpointView {
  id: number;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
}

export interface EndpointInput {
  url?: unknown;
  /** Comma-separated or an array; `*` for all. */
  events?: unknown;
  description?: unknown;
  enabled?: unknown;
}

function view(row: WebhookEndpointRow): EndpointView {
  return {
    id: Number(row.id),
    url: row.url,
    events: JSON.parse(row.events) as string[],
    description: row.description,
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since === null ? null : new Date(Number(row.failing_since)).toISOString(),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

function eventsOf(value: unknown): WebhookEventType[] {
  const text = Array.isArray(value) ? value.map(String).join(',') : typeof value === 'string' ? value : '';
  const parsed = parseEventList(text);
  if ('error' in parsed) throw invalidInput(parsed.error);
  return parsed.events;
}

function urlOf(value: unknown): string {
  if (typeof value !== 'string') throw invalidInput('Give the URL the events are posted to (--url).');
  const checked = checkEndpointUrl(value.trim());
  if ('error' in checked) throw invalidInput(checked.error);
  return checked.url;
}

function descriptionOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 200) throw invalidInput('A description is at most 200 characters.');
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** Outgoing webhook endpoints: each with its own signing secret, shown when it is made. */
export function createWebhooksService(options: { database: Database; clock: Clock; secrets: readonly string[] }) {
  const { database, clock, secrets } = options;
  const { db } = database;
  // The row id is not known before the insert: every endpoint's secret has the same additional data.
  const AAD = 'webhook endpoint';

  async function find(idInput: unknown): Promise<WebhookEndpointRow> {
    const id = Number(idInput);
    const row = Number.isSafeInteger(id) && id > 0 ? await repo.endpointById(db, id) : undefined;
    if (!row) throw new AppError('not_found', `There is no webhook endpoint ${String(idInput).slice(0, 20)}.`);
    return row;
  }

  return {
    events: WEBHOOK_EVENTS,

    async create(input: EndpointInput): Promise<EndpointView & { secret: string }> {
      const url = urlOf(input.url);
      const events = eventsOf(input.events);
      const description = descriptionOf(input.description);
      const secret = newWebhookSecret();
      const id = await repo.insertEndpoint(
        db,
        { url, events, description, secretSealed: seal(Buffer.from(secret), secrets[0] as string, AAD, PURPOSE) },
        clock.now(),
      );
      return { ...view(await find(id)), secret };
    },

    async list(): Promise<EndpointView[]> {
      return (await repo.listEndpoints(db)).map(view);
    },

    /** One endpoint with its delivery counts and its newest tries (the delivery log). */
    async show(idInput: unknown, limit = 20) {
      const row = await find(idInput);
      const id = Number(row.id);
      return {
        ...view(row),
        deliveries: await repo.deliveryCounts(db, id),
        log: (await repo.deliveryLog(db, id, Math.min(Math.max(limit, 1), 500))).map((r) => ({
          deliveryId: r.delivery_id,
          eventId: r.event_id,
          type: r.type,
          status: r.status,
          attempts: r.attempts,
          at: r.at === null ? null : new Date(r.at).toISOString(),
          statusCode: r.status_code,
          durationMs: r.duration_ms,
          error: r.error,
          nextAttemptAt: r.status === 'queued' ? new Date(r.next_attempt_at).toISOString() : null,
        })),
      };
    },

    async update(idInput: unknown, input: EndpointInput): Promise<EndpointView> {
      const row = await find(idInput);
      if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
        throw invalidInput('"enabled" is true or false.');
      await repo.updateEndpoint(
        db,
        Number(row.id),
        {
          ...(input.url !== undefined ? { url: urlOf(input.url) } : {}),
          ...(input.events !== undefined ? { events: eventsOf(input.events) } : {}),
          ...(input.description !== undefined ? { description: descriptionOf(input.description) } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled as boolean } : {}),
        },
        clock.now(),
      );
      return view(await find(row.id));
    },

    async remove(idInput: unknown): Promise<{ deleted: number }> {
      const row = await find(idInput);
      await repo.deleteEndpoint(db, Number(row.id));
      return { deleted: Number(row.id) };
    },

    /** The signing secret (for the receiver's configuration). */
    async secret(idInput: unknown): Promise<{ id: number; secret: string }> {
      const row = await find(idInput);
      const secret = openSecret(row.secret_sealed);
      if (!secret) throw new AppError('unavailable', 'The secret cannot be opened with this installation secret.');
      return { id: Number(row.id), secret };
    },

    /** For the dispatcher: opens a sealed secret with the current or a previous installation secret. */
    openSecret,
  };

  function openSecret(sealed: string): string | undefined {
    return open(sealed, secrets, AAD, PURPOSE)?.toString();
  }
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
