import type { Database } from '../db/database.js';
import { findSuppression } from '../consent/suppressions.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import { composeMessage } from '../mail/compose.js';
import type { ReturnPath } from '../mail/envelope.js';
import type { MessageHandler } from '../mail/outbox-worker.js';
import { emitWebhookEvent } from '../webhooks/emit.js';
import { orderingKeys } from '../webhooks/events.js';
import { suppressionStops } from './tx-input.js';
import { readTxPayload, type TxPayload } from './tx-payload.js';
import type { OutboxRow } from '../db/schema.js';

/**
 * Builds a transactional message at send time: its own Feedback-ID stream, a VERP return path
 * (a bounce names the row), no List-Unsubscribe (it is not marketing). A suppression that arrived
 * after acceptance still stops it; once delivered, `tx.delivered` is emitted with the sent mark.
 */
export function txMailHandler(deps: {
  database: Database;
  returnPath: ReturnPath;
  feedbackSenderId: string;
}): MessageHandler {
  // The payload read for the render is the one the sent mark needs (the same row object): read once.
  const payloads = new WeakMap<OutboxRow, TxPayload>();
  return {
    async render(row) {
      const payload = readTxPayload(row.payload);
      if (payload) payloads.set(row, payload);
      if (!payload) return { skip: 'transactional message without readable content' };
      const suppression = await findSuppression(deps.database.db, suppressionHash(payload.to.toLowerCase()));
      if (suppression && suppressionStops(suppression.reason, payload.essential))
        return { skip: `suppressed: ${suppression.reason.replace(/_/g, ' ')}` };
      const raw = await composeMessage({
        from: payload.from,
        to: payload.to,
        replyTo: payload.replyTo
          ? payload.replyTo.name
            ? `${payload.replyTo.name} <${payload.replyTo.address}>`
            : payload.replyTo.address
          : null,
        subject: payload.subject,
        text: payload.text,
        html: payload.html,
        messageId: row.message_id,
        headers: { 'Feedback-ID': `${payload.template ?? 'message'}:tx:transactional:${deps.feedbackSenderId}` },
        attachments: payload.attachments,
      });
      return {
        message: {
          envelopeFrom: deps.returnPath(payload.from.address, Number(row.id)),
          envelopeTo: payload.to,
          messageId: row.message_id,
          raw,
        },
      };
    },
    async delivered(trx, row, delivery, now) {
      const payload = payloads.get(row) ?? readTxPayload(row.payload);
      if (!payload) return;
      await emitWebhookEvent(
        trx,
        {
          type: 'tx.delivered',
          orderingKey: orderingKeys.address(suppressionHash(payload.to.toLowerCase())),
          data: {
            id: Number(row.id),
            to: payload.to,
            template: payload.template,
            messageId: row.message_id,
            response: delivery.response.slice(0, 300),
          },
        },
        now,
      );
    },
  };
}
