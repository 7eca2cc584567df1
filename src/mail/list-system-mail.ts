import type { ListRow, OutboxRow } from '../db/schema.js';
import type { TemplateRenderer } from '../templates/liquid.js';
import { composeMessage } from './compose.js';
import type { ReturnPath } from './envelope.js';
import type { OutgoingMessage } from './transport.js';

/**
 * A system mail a list sends to one person (confirmation, data link): `<name>-subject`,
 * `<name>-text` and `<name>-html` rendered with `data`, from the list's sender, marked
 * auto-generated, with the outbox row's VERP return path. No marketing content.
 */
export async function listSystemMail(
  deps: { html: TemplateRenderer; text: TemplateRenderer; returnPath: ReturnPath },
  mail: { name: string; list: ListRow; to: string; row: Pick<OutboxRow, 'id' | 'message_id'>; data: object },
): Promise<OutgoingMessage> {
  const { name, list, to, row, data } = mail;
  const scope = data as Record<string, unknown>;
  const [subject, text, html] = await Promise.all([
    deps.text.render(`${name}-subject`, scope),
    deps.text.render(`${name}-text`, scope),
    deps.html.render(`${name}-html`, scope),
  ]);
  const raw = await composeMessage({
    from: { name: list.from_name, address: list.from_address },
    replyTo: list.reply_to,
    to,
    subject: subject.replace(/\s+/g, ' ').trim(),
    text,
    html,
    messageId: row.message_id,
    headers: {
      'Auto-Submitted': 'auto-generated',
      // The language the mail is written in (RFC 3282), when the template data names one.
      ...(typeof scope.lang === 'string' && /^[a-z]{2}$/.test(scope.lang) ? { 'Content-Language': scope.lang } : {}),
    },
  });
  return { envelopeFrom: deps.returnPath(list.from_address, row.id), envelopeTo: to, messageId: row.message_id, raw };
}
