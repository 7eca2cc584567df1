import type { Database } from '../db/database.js';
import type { OutboxRow } from '../db/schema.js';
import { findSuppression } from '../consent/suppressions.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { parseMailbox } from '../lists/list-input.js';
import { newMessageId } from '../mail/message-id.js';
import { enqueue, outboxById } from '../mail/outbox.repo.js';
import { AppError, invalidInput } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import { htmlToText } from '../templates/compile.js';
import { checkTxRequest, suppressionStops, type TxBody } from './tx-input.js';
import { createTemplateCache, renderTxTemplate } from './tx-render.js';
import type { TxPayload } from './tx-payload.js';
import type { TxTemplatesService } from './tx-templates.service.js';
import { findRequest, saveRequest } from './tx.repo.js';

/** An idempotency key names one message for this long. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

export interface TxAccepted {
  id: number;
  status: 'queued' | 'suppressed' | 'duplicate';
  reason?: string;
}

class KeyTaken extends Error {}

/**
 * Transactional mail: `POST /api/v1/tx`. A message is rendered and checked when it is accepted (a
 * bad template or address is a 400 at once), queued as an outbox row of its own stream, and sent
 * by the transactional worker ahead of campaign mail. Suppression is checked at acceptance (the
 * answer says so) and again when it is sent.
 */
export function createTxService(options: {
  database: Database;
  clock: Clock;
  templates: TxTemplatesService;
  /** The `tx.from` setting: the sender when neither the request nor the template names one. */
  defaultFrom: () => string | undefined;
  onQueued: () => void;
}) {
  const { database, clock, templates } = options;
  const { db } = database;
  const compiled = createTemplateCache();

  async function content(
    request: ReturnType<typeof checkTxRequest>,
    to: string,
  ): Promise<{
    subject: string;
    html: string | null;
    text: string;
    template: string | null;
    essential: boolean;
    from: string | null;
  }> {
    if (request.template !== undefined) {
      const row = await templates.find(request.template);
      let rendered;
      try {
        rendered = renderTxTemplate(await compiled(row), { ...request.data, data: request.data, to });
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw invalidInput(
          `The template "${row.slug}" could not be rendered with this data: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      return { ...rendered, template: row.slug, essential: row.essential === 1, from: row.from_address };
    }
    const given = request.content as { subject: string; html: string | undefined; text: string | undefined };
    let text = given.text;
    if (text === undefined) {
      text = (await htmlToText())(given.html as string);
    }
    return {
      subject: given.subject.replace(/\s+/g, ' ').trim(),
      html: given.html ?? null,
      text,
      template: null,
      essential: false,
      from: null,
    };
  }

  return {
    async accept(body: TxBody): Promise<TxAccepted> {
      const request = checkTxRequest(body);
      const to = normaliseEmail(request.to);
      if (!to.ok) throw invalidInput(`"to" is not an address that can receive mail: ${to.reason}`);
      const now = clock.now();
      if (request.idempotencyKey !== undefined) {
        const seen = await findRequest(db, request.idempotencyKey, now - IDEMPOTENCY_WINDOW_MS);
        if (seen) return duplicate(seen, request.hash);
      }
      const made = await content(request, to.address.email);
      const sender = request.from ?? made.from ?? options.defaultFrom();
      if (!sender)
        throw invalidInput(
          'No sender: give "from", a From on the template, or set one with `listwarden settings set tx.from "Shop <orders@shop.example>"`.',
        );
      const from = parseMailbox(sender, 'The sender');
      const replyTo = request.replyTo ? parseMailbox(request.replyTo, 'The reply address') : null;
      const suppression = await findSuppression(db, suppressionHash(to.address.key));
      const stopped =
        suppression && suppressionStops(suppression.reason, made.essential) ? suppression.reason : undefined;
      const payload: TxPayload = {
        to: to.address.email,
        from,
        replyTo,
        subject: made.subject,
        html: made.html,
        text: made.text,
        attachments: request.attachments,
        template: made.template,
        essential: made.essential,
      };
      let id: number;
      try {
        id = await database.transaction(async (trx) => {
          const outboxId = await enqueue(
            trx,
            {
              kind: 'transactional',
              listId: null,
              subscriberId: null,
              messageId: newMessageId(from.address.slice(from.address.lastIndexOf('@') + 1), now),
              notBefore: now,
              payload: JSON.stringify(payload),
              // Erasure finds the person's order mail by it.
              recipientHash: suppressionHash(to.address.key),
            },
            now,
          );
          if (
            request.idempotencyKey !== undefined &&
            !(await saveRequest(trx, request.idempotencyKey, request.hash, outboxId, now, now - IDEMPOTENCY_WINDOW_MS))
          )
            throw new KeyTaken();
          return outboxId;
        });
      } catch (error) {
        if (!(error instanceof KeyTaken)) throw error;
        // Another request with this key won the race: its message is the one.
        const seen = await findRequest(db, request.idempotencyKey as string, now - IDEMPOTENCY_WINDOW_MS);
        if (!seen) throw error;
        return duplicate(seen, request.hash);
      }
      options.onQueued();
      return stopped ? { id, status: 'suppressed', reason: stopped } : { id, status: 'queued' };
    },

    /** Where one transactional message is (the id `accept` answered). */
    async status(idInput: unknown) {
      const id = Number(idInput);
      const row: OutboxRow | undefined = Number.isSafeInteger(id) && id > 0 ? await outboxById(db, id) : undefined;
      if (!row || row.kind !== 'transactional')
        throw new AppError('not_found', `There is no transactional message ${String(idInput).slice(0, 20)}.`);
      const payload = JSON.parse(row.payload ?? '{}') as Partial<TxPayload>;
      return {
        id: Number(row.id),
        status: row.status,
        to: payload.to ?? null,
        template: payload.template ?? null,
        attempts: row.attempts,
        messageId: row.message_id,
        sentAt: row.sent_at === null ? null : new Date(Number(row.sent_at)).toISOString(),
        response: row.response,
        error: row.last_error,
      };
    },
  };

  function duplicate(seen: { outboxId: number; hash: string }, hash: string): TxAccepted {
    if (seen.hash !== hash)
      throw new AppError(
        'conflict',
        'This idempotency key was used for another message within 24 hours; use a new key for a new message.',
      );
    return { id: seen.outboxId, status: 'duplicate' };
  }
}

export type TxService = ReturnType<typeof createTxService>;
