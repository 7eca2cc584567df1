import { escapeHtml } from '../shared/html.js';
import { composeMessage } from './compose.js';
import type { MessageHandler } from './outbox-worker.js';

interface NotificationPayload {
  to: string;
  from: string;
  subject: string;
  text: string;
}

function payloadOf(raw: string | null): NotificationPayload | undefined {
  try {
    const value = JSON.parse(raw ?? '') as Partial<NotificationPayload>;
    if (
      typeof value.to === 'string' &&
      typeof value.from === 'string' &&
      typeof value.subject === 'string' &&
      typeof value.text === 'string'
    ) {
      return value as NotificationPayload;
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Owner alerts (the circuit breaker): plain mail whose content was written into the outbox row. */
export function notificationMailHandler(): MessageHandler {
  return {
    async render(row) {
      const payload = payloadOf(row.payload);
      if (!payload) return { skip: 'notification without readable content' };
      const raw = await composeMessage({
        from: { name: 'Listwarden', address: payload.from },
        to: payload.to,
        subject: payload.subject.replace(/[\r\n]+/g, ' '),
        text: payload.text,
        html: `<pre style="font-family:monospace">${escapeHtml(payload.text)}</pre>`,
        messageId: row.message_id,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      return { message: { envelopeFrom: payload.from, envelopeTo: payload.to, messageId: row.message_id, raw } };
    },
  };
}
