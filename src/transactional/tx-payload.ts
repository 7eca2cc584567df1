import type { TxAttachment } from './tx-input.js';

/** A transactional message as its outbox row keeps it (rendered when it was accepted). */
export interface TxPayload {
  to: string;
  from: { name: string | null; address: string };
  replyTo: { name: string | null; address: string } | null;
  subject: string;
  html: string | null;
  text: string;
  attachments: TxAttachment[];
  template: string | null;
  essential: boolean;
}

/** The payload of a row, or undefined when it cannot be read. Pure. */
export function readTxPayload(raw: string | null): TxPayload | undefined {
  try {
    const value = JSON.parse(raw ?? '') as Partial<TxPayload>;
    if (
      typeof value.to === 'string' &&
      typeof value.from?.address === 'string' &&
      typeof value.subject === 'string' &&
      typeof value.text === 'string' &&
      Array.isArray(value.attachments)
    )
      return value as TxPayload;
  } catch {
    // fall through
  }
  return undefined;
}
