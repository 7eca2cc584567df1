import type { SigningKey } from './dkim.js';

/** A message ready for the wire: envelope plus the complete RFC 5322 bytes. */
export interface OutgoingMessage {
  /** Envelope sender (MAIL FROM, becomes Return-Path). */
  envelopeFrom: string;
  /** Envelope recipient (RCPT TO). */
  envelopeTo: string;
  messageId: string;
  raw: Buffer;
  /** Campaign mail: sent over the lean bulk SMTP client instead of nodemailer. */
  bulk?: boolean;
  /**
   * The DKIM keys to sign with (a campaign's approved keys; empty: approved unsigned). Without
   * it, the active keys of the From domain sign.
   */
  signWith?: readonly SigningKey[];
}

export interface Delivery {
  /** The receiving server's reply, or a description of where the message went. */
  response: string;
}

/** The one interface the outbox worker needs; SMTP and capture implement it. */
export interface Transport {
  readonly name: string;
  send(message: OutgoingMessage): Promise<Delivery>;
  /** Removes kept copies of mail to `address` (the capture folder); returns how many. */
  forget?(address: string): Promise<number>;
  close(): Promise<void>;
}

/** A failed delivery: `permanent` for 5xx replies, otherwise worth retrying later. */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly responseCode: number | undefined;

  constructor(message: string, permanent: boolean, responseCode?: number) {
    super(message);
    this.name = 'DeliveryError';
    this.permanent = permanent;
    this.responseCode = responseCode;
  }
}
