import type { DsnRecipient } from './report-fields.js';

/**
 * Amazon SES notifications (the JSON SES posts to SNS, mailed on as the body of a message, raw or
 * inside the SNS envelope): Bounce, Complaint and Delivery. Pure; undefined when it is not one.
 */
export interface SesNotification {
  type: 'bounce' | 'complaint' | 'delivery';
  recipients: DsnRecipient[];
  feedbackType?: string;
  /** Headers of the original message as SES quotes them. */
  messageId?: string;
  to?: string;
}

const MAX_RECIPIENTS = 100;

/** The first top-level JSON object of `text` (SNS mails append an unsubscribe footer after it). */
function objectPrefix(text: string): string {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(0, i + 1);
  }
  return text;
}

function parseJson(whole: string): unknown {
  const text = objectPrefix(whole);
  try {
    return JSON.parse(text);
  } catch {
    // Mail transport folds long lines; JSON has no meaningful line breaks, so unfold and try again.
    try {
      return JSON.parse(text.replace(/\r?\n[ \t]*/g, ''));
    } catch {
      return undefined;
    }
  }
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value.slice(0, 1000) : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value.slice(0, MAX_RECIPIENTS) : []);

export function parseSesNotification(body: string): SesNotification | undefined {
  if (!/^\s*\{/.test(body.slice(0, 256))) return undefined;
  const trimmed = body.trim();
  if (!/notificationType/.test(trimmed.slice(0, 64 * 1024)) || trimmed.length > 1_000_000) {
    return undefined;
  }
  let data = record(parseJson(trimmed));
  if (data.Type === 'Notification' && typeof data.Message === 'string') data = record(parseJson(data.Message));
  const kind = text(data.notificationType ?? data.eventType)?.toLowerCase();
  const mail = record(data.mail);
  const headers = list(mail.headers).map(record);
  const header = (name: string) => text(headers.find((h) => text(h.name)?.toLowerCase() === name)?.value);
  const common = record(mail.commonHeaders);
  const quoted = {
    ...(header('message-id') ? { messageId: header('message-id') as string } : {}),
    ...((text(list(common.to)[0]) ?? header('to')) ? { to: (text(list(common.to)[0]) ?? header('to')) as string } : {}),
  };
  if (kind === 'bounce') {
    const bounce = record(data.bounce);
    const permanent = text(bounce.bounceType) === 'Permanent';
    const recipients = list(bounce.bouncedRecipients).map((entry): DsnRecipient => {
      const r = record(entry);
      const status = /^[245]\.\d{1,3}\.\d{1,3}$/.exec(text(r.status) ?? '')?.[0];
      const diagnostic = text(r.diagnosticCode)?.replace(/^smtp;\s*/i, '');
      return {
        ...(text(r.emailAddress) ? { finalRecipient: text(r.emailAddress) as string } : {}),
        action: text(r.action) ?? (permanent ? 'failed' : 'delayed'),
        ...(status ? { status } : permanent ? {} : { status: '4.0.0' }),
        ...(diagnostic ? { diagnosticCode: diagnostic } : {}),
      };
    });
    return { type: 'bounce', recipients, ...quoted };
  }
  if (kind === 'complaint') {
    const complaint = record(data.complaint);
    const recipients = list(complaint.complainedRecipients).map((entry): DsnRecipient => {
      const address = text(record(entry).emailAddress);
      return address ? { finalRecipient: address } : {};
    });
    const feedbackType = text(complaint.complaintFeedbackType) ?? 'abuse';
    return { type: 'complaint', recipients, feedbackType, ...quoted };
  }
  if (kind === 'delivery') {
    const delivery = record(data.delivery);
    const response = text(delivery.smtpResponse) ?? '';
    const status = /\b2\.\d{1,3}\.\d{1,3}\b/.exec(response)?.[0] ?? '2.0.0';
    const recipients = list(delivery.recipients).map((address): DsnRecipient => ({
      ...(text(address) ? { finalRecipient: text(address) as string } : {}),
      action: 'delivered',
      status,
      ...(response ? { diagnosticCode: response } : {}),
    }));
    return { type: 'delivery', recipients, ...quoted };
  }
  return undefined;
}
