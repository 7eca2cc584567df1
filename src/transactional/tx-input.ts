import { createHash } from 'node:crypto';
import { z } from 'zod';
import { invalidInput } from '../shared/app-error.js';

/**
 * What `POST /api/v1/tx` accepts, checked at the boundary. Pure.
 * A message is a stored template (`template` + `data`) or its own content (`subject` + `html`
 * and/or `text`); attachments are base64, at most 10 of them and 5 MB together (decoded).
 */
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** The request body limit of the route: the attachments in base64 and the rest. */
export const MAX_TX_BODY_BYTES = Math.ceil((MAX_ATTACHMENT_BYTES * 4) / 3) + 2 * 1024 * 1024;

// What mailbox providers refuse as attachments (Gmail, Outlook): refused here with a sentence.
const BLOCKED_EXTENSIONS =
  /\.(ade|adp|apk|appx|appxbundle|bat|cab|chm|cmd|com|cpl|diagcab|diagcfg|diagpack|dll|dmg|ex_|exe|hta|img|ins|iso|isp|jar|jnlp|js|jse|lib|lnk|mde|mjs|msc|msi|msix|msixbundle|msp|mst|nsh|pif|ps1|scr|sct|shb|sys|vb|vbe|vbs|vhd|vhdx|vxd|wsc|wsf|wsh|xll)$/i;
// Content types that would carry other parts (a whole message with its own attachments) or break the MIME tree.
const BLOCKED_TYPES = /^(message|multipart)\//i;

const attachment = z
  .object({
    filename: z.string().min(1).max(200),
    contentType: z
      .string()
      .max(200)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a type like application/pdf')
      .optional(),
    content: z.string().max(MAX_TX_BODY_BYTES),
  })
  .strict();

export const txBody = z
  .object({
    to: z.string().max(320),
    template: z.string().max(100).optional(),
    subject: z.string().max(998).optional(),
    html: z.string().max(1_000_000).optional(),
    text: z.string().max(1_000_000).optional(),
    from: z.string().max(400).optional(),
    replyTo: z.string().max(400).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    idempotencyKey: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional(),
    attachments: z.array(attachment).max(MAX_ATTACHMENTS).optional(),
  })
  .strict();

export type TxBody = z.infer<typeof txBody>;

export interface TxAttachment {
  filename: string;
  contentType: string;
  /** base64, checked. */
  content: string;
}

/** The request, checked: either a template or content, attachments decoded and within limits. */
export interface TxRequest {
  to: string;
  template: string | undefined;
  content: { subject: string; html: string | undefined; text: string | undefined } | undefined;
  from: string | undefined;
  replyTo: string | undefined;
  data: Record<string, unknown>;
  idempotencyKey: string | undefined;
  attachments: TxAttachment[];
  /** SHA-256 of the request without its idempotency key: the same key with other content is refused. */
  hash: string;
}

/** The rules across fields of a body that passed `txBody` (the HTTP layer parses it). */
export function checkTxRequest(input: TxBody): TxRequest {
  const hasContent = input.subject !== undefined || input.html !== undefined || input.text !== undefined;
  if (input.template !== undefined && hasContent)
    throw invalidInput('Give a template or subject and html/text, not both.');
  if (input.template === undefined) {
    if (input.subject === undefined || (input.html === undefined && input.text === undefined))
      throw invalidInput('Give a template (its slug), or a subject with html and/or text.');
    if (!input.subject.trim()) throw invalidInput('The subject is empty.');
  }
  let total = 0;
  const attachments = (input.attachments ?? []).map((a, i) => {
    // Windows drops trailing dots and spaces: "invoice.exe." opens as invoice.exe.
    const name = a.filename.trim().replace(/[. ]+$/, '');
    if (name === '') throw invalidInput(`Attachment ${i + 1}: give it a file name.`);
    if (a.contentType && BLOCKED_TYPES.test(a.contentType))
      throw invalidInput(
        `Attachment ${i + 1}: a ${a.contentType.split('/')[0]} attachment could carry other files; send the file itself.`,
      );
    if (/[\u0000-\u001f\u007f/\\]/.test(name) || name === '.' || name === '..')
      throw invalidInput(`Attachment ${i + 1}: the file name may not hold slashes or control characters.`);
    if (BLOCKED_EXTENSIONS.test(name))
      throw invalidInput(
        `Attachment ${i + 1}: "${name}" is a program; mailbox providers refuse mail that carries one.`,
      );
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.content.replace(/\s+/g, '')))
      throw invalidInput(`Attachment ${i + 1}: the content is not base64.`);
    const content = a.content.replace(/\s+/g, '');
    total += Math.floor((content.length * 3) / 4);
    return { filename: name, contentType: a.contentType ?? 'application/octet-stream', content };
  });
  if (total > MAX_ATTACHMENT_BYTES)
    throw invalidInput(`The attachments are ${Math.ceil(total / 1024)} KB together; the limit is 5 MB.`);
  const { idempotencyKey, ...rest } = input;
  return {
    to: input.to.trim(),
    template: input.template,
    content:
      input.template === undefined
        ? { subject: input.subject as string, html: input.html, text: input.text }
        : undefined,
    from: input.from,
    replyTo: input.replyTo,
    data: input.data ?? {},
    idempotencyKey,
    attachments,
    hash: createHash('sha256').update(stableJson(rest)).digest('hex'),
  };
}

/** JSON with object keys sorted, so the same content always hashes the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** Which suppressions stop a transactional message: hard bounces always; the rest unless essential. */
export function suppressionStops(reason: string, essential: boolean): boolean {
  if (reason === 'hard_bounce' || reason === 'soft_bounces') return true;
  return !essential;
}
