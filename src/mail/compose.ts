import MailComposer from 'nodemailer/lib/mail-composer';
import { systemClock } from '../shared/clock.js';

export interface ComposeInput {
  from: { name?: string | null; address: string };
  to: string;
  replyTo?: string | null;
  subject: string;
  text: string;
  /** Absent or null: a text-only message. */
  html?: string | null;
  messageId: string;
  date?: Date;
  headers?: Record<string, string>;
  /** Files carried along (transactional mail), their content in base64. */
  attachments?: ReadonlyArray<{ filename: string; contentType: string; content: string }>;
}

/** Lines in mail end in CRLF (RFC 5322 2.3); templates are usually written with LF. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Builds the RFC 5322 bytes of a message with nodemailer. */
export async function composeMessage(input: ComposeInput): Promise<Buffer> {
  const composer = new MailComposer({
    from: input.from.name ? { name: input.from.name, address: input.from.address } : input.from.address,
    to: input.to,
    replyTo: input.replyTo ?? undefined,
    subject: input.subject,
    text: crlf(input.text),
    html: input.html === undefined || input.html === null ? undefined : crlf(input.html),
    messageId: input.messageId,
    date: input.date ?? new Date(systemClock.now()),
    headers: input.headers,
    attachments: input.attachments?.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      encoding: 'base64',
    })),
    // Sending to the address we were given is the point; never let nodemailer read files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  } as never);
  return composer.compile().build();
}
