import { classifyStatus, isComplaintType, looksLikeAutoReply, type Classification } from './classify.js';
import { decodeWords, header, parseMime, walk, type MimeEntity } from './mime.js';
import {
  addressOf,
  parseDeliveryStatus,
  parseFeedbackReport,
  parseXarfReport,
  type DsnRecipient,
} from './report-fields.js';
import { detectStyle, splitOriginalCopy, textRecipients, type BounceStyle } from './text-bounces.js';

/** What a report says, before we know whose mail it was. Pure: no I/O. */
export type FeedbackKind = 'bounce' | 'complaint' | 'auto_reply' | 'notice';
export type ReportStyle = BounceStyle | 'arf' | 'x-arf' | 'jmrp' | 'yahoo-cfl' | 'auto-reply' | 'smtp-session';

export interface ReportedRecipient {
  address?: string;
  status: string;
  action?: string;
  diagnostic?: string;
  remoteMta?: string;
  classification: Classification;
}

/** The headers of our own message as the report quotes them: they say whose mail it was. */
export interface OriginalMessage {
  returnPath?: string;
  messageId?: string;
  feedbackId?: string;
  to?: string;
  /** Microsoft JMRP names the complaining address here. */
  hotmailRecipient?: string;
}

export interface ParsedFeedback {
  kind: FeedbackKind;
  style: ReportStyle;
  recipients: ReportedRecipient[];
  complaint?: { feedbackType: string; userAgent?: string; sourceIp?: string; reporter?: string };
  original?: OriginalMessage;
  /** Addresses the report itself was sent to (To, Delivered-To, X-Original-To): VERP lands here. */
  deliveredTo: string[];
  reportMessageId?: string;
  subject?: string;
}

export type ParseResult = { ok: true; report: ParsedFeedback } | { ok: false; reason: string };

export const MAX_REPORT_BYTES = 10 * 1024 * 1024;

function messageIdOf(value: string | undefined): string | undefined {
  const match = value ? (/<([^<>\s]{1,250})>/.exec(value) ?? /^\s*([^<>\s]{1,250}@[^<>\s]+)\s*$/.exec(value)) : null;
  return match?.[1];
}

function originalOf(entity: MimeEntity | undefined): OriginalMessage | undefined {
  if (!entity || entity.headers.size === 0) return undefined;
  const original: OriginalMessage = {};
  const returnPath = addressOf(header(entity, 'return-path'));
  if (returnPath) original.returnPath = returnPath;
  const messageId = messageIdOf(header(entity, 'message-id'));
  if (messageId) original.messageId = messageId;
  const feedbackId = header(entity, 'feedback-id');
  if (feedbackId) original.feedbackId = feedbackId.slice(0, 200);
  const to = addressOf(header(entity, 'to'));
  if (to) original.to = to;
  const hotmail = addressOf(header(entity, 'x-hmxmroriginalrecipient'));
  if (hotmail) original.hotmailRecipient = hotmail;
  return Object.keys(original).length > 0 ? original : undefined;
}

function toRecipient(r: DsnRecipient): ReportedRecipient {
  const status =
    r.status ??
    (r.action === 'delayed'
      ? '4.0.0'
      : r.action === 'delivered' || r.action === 'relayed' || r.action === 'expanded'
        ? '2.0.0'
        : '5.0.0');
  const recipient: ReportedRecipient = { status, classification: classifyStatus(status, r.action, r.diagnosticCode) };
  const address = r.finalRecipient ?? r.originalRecipient;
  if (address) recipient.address = address;
  if (r.action) recipient.action = r.action;
  if (r.diagnosticCode) recipient.diagnostic = r.diagnosticCode;
  if (r.remoteMta) recipient.remoteMta = r.remoteMta;
  return recipient;
}

function listOf(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => addressOf(v.trim()))
    .filter((a): a is string => a !== undefined);
}

/** Bounce notices are short; the text analysis looks at this much of one at most. */
const NOTICE_CHARS = 256 * 1024;

/** The first text/plain leaf outside enclosed messages (the human-readable notice). */
function noticeText(root: MimeEntity): string {
  return firstText(root).slice(0, NOTICE_CHARS);
}

function firstText(root: MimeEntity): string {
  if (root.parts.length === 0 && !root.message) return root.body;
  const stack = [...root.parts];
  while (stack.length > 0) {
    const part = stack.shift() as MimeEntity;
    if (part.type === 'text/plain') return part.body;
    stack.unshift(...part.parts);
  }
  return '';
}

/** Reads one raw report (DSN, non-standard bounce, ARF, JMRP, auto-reply). Never throws. */
export function parseFeedback(raw: Buffer | string): ParseResult {
  try {
    const size = typeof raw === 'string' ? raw.length : raw.byteLength;
    if (size === 0) return { ok: false, reason: 'the message is empty' };
    if (size > MAX_REPORT_BYTES) return { ok: false, reason: `the message is larger than ${MAX_REPORT_BYTES} bytes` };
    const root = parseMime(raw);
    if (root.headers.size === 0) return { ok: false, reason: 'the message has no headers' };
    return classify(root);
  } catch (error) {
    return { ok: false, reason: `unreadable MIME: ${(error as Error).message}`.slice(0, 300) };
  }
}

function classify(root: MimeEntity): ParseResult {
  const subject = decodeWords((header(root, 'subject') ?? '').slice(0, 2000)).slice(0, 300);
  const deliveredTo = [
    ...listOf(root.headers.get('delivered-to')),
    ...listOf(root.headers.get('x-original-to')),
    ...listOf(root.headers.get('to')),
  ];
  const base = {
    deliveredTo,
    subject,
    ...(messageIdOf(header(root, 'message-id'))
      ? { reportMessageId: messageIdOf(header(root, 'message-id')) as string }
      : {}),
  };
  const entities = [...walk(root)];
  const enclosed = entities.find((e) => e.message)?.message;

  // 1. ARF (RFC 5965), including Yahoo's CFL and Microsoft's JMRP in ARF form.
  const feedbackPart = entities.find((e) => e.type === 'message/feedback-report');
  const hotmail = entities.find((e) => e.headers.has('x-hmxmroriginalrecipient'));
  if (feedbackPart || hotmail) {
    const fields = feedbackPart ? parseFeedbackReport(feedbackPart.body) : {};
    const original = originalOf(hotmail && hotmail !== root ? hotmail : enclosed) ?? originalOf(hotmail);
    const agent = fields.userAgent ?? '';
    const from = header(root, 'from') ?? '';
    const style: ReportStyle =
      hotmail || /microsoft|hotmail|outlook|jmrp/i.test(agent)
        ? 'jmrp'
        : /yahoo/i.test(agent) || /@(?:[a-z0-9-]+\.)*yahoo\.com/i.test(from)
          ? 'yahoo-cfl'
          : 'arf';
    const feedbackType = fields.feedbackType ?? 'abuse';
    const address =
      fields.originalRcptTo ??
      original?.hotmailRecipient ??
      hotmail?.headers.get('x-hmxmroriginalrecipient')?.map((v) => addressOf(v))[0];
    const reporter = addressOf(from);
    const complaint = {
      feedbackType,
      ...(fields.userAgent ? { userAgent: fields.userAgent } : {}),
      ...(fields.sourceIp ? { sourceIp: fields.sourceIp } : {}),
      ...(reporter ? { reporter } : {}),
    };
    return {
      ok: true,
      report: {
        ...base,
        kind: isComplaintType(feedbackType) ? 'complaint' : 'notice',
        style,
        recipients: address ? [{ address, status: '', classification: 'notice' }] : [],
        complaint,
        ...(original ? { original } : {}),
      },
    };
  }

  // 1b. X-ARF (abuse desks' format): `X-ARF: yes`, a human part, a `Report-Type:` part, the evidence.
  if (/^\s*yes\s*$/i.test(header(root, 'x-arf') ?? '')) {
    const reportPart = entities.find(
      (e) => e.type === 'text/plain' && /^\s*Report-Type\s*:/im.test(e.body.slice(0, 64 * 1024)),
    );
    const fields = reportPart ? parseXarfReport(reportPart.body) : {};
    const original = originalOf(enclosed);
    const reporter = fields.reportedFrom ?? addressOf(header(root, 'from'));
    const complaint = {
      feedbackType: fields.reportType ?? 'abuse',
      ...(fields.source ? { sourceIp: fields.source } : {}),
      ...(reporter ? { reporter } : {}),
    };
    const address = original?.to;
    return {
      ok: true,
      report: {
        ...base,
        kind: 'complaint',
        style: 'x-arf',
        recipients: address ? [{ address, status: '', classification: 'notice' }] : [],
        complaint,
        ...(original ? { original } : {}),
      },
    };
  }

  // 2. RFC 3464 delivery status notifications (and RFC 6533's global form).
  const notice = noticeText(root);
  const from = header(root, 'from');
  const styleOf = () => detectStyle(notice, from, { exchangeNdr: root.headers.has('x-ms-exchange-message-is-ndr') });
  const statusPart = entities.find(
    (e) => e.type === 'message/delivery-status' || e.type === 'message/global-delivery-status',
  );
  if (statusPart) {
    const dsn = parseDeliveryStatus(statusPart.body);
    let recipients = dsn.recipients.map(toRecipient);
    if (recipients.length === 0)
      recipients = textRecipients(
        splitOriginalCopy(notice).notice,
        listOf(root.headers.get('x-failed-recipients')),
      ).map(toRecipient);
    const kind: FeedbackKind =
      recipients.length > 0 && recipients.every((r) => r.classification === 'notice') ? 'notice' : 'bounce';
    const original = originalOf(enclosed);
    return {
      ok: true,
      report: { ...base, kind, style: styleOf() ?? 'rfc3464', recipients, ...(original ? { original } : {}) },
    };
  }

  // 3. Text bounces: the MTA's own format, maybe with the original pasted below a marker.
  const failed = listOf(root.headers.get('x-failed-recipients'));
  const style = styleOf();
  const fromDaemon = /mailer-daemon|postmaster|mail delivery/i.test(from ?? '');
  if (
    style ||
    failed.length > 0 ||
    (fromDaemon && /undeliver|returned|failure|failed|delivery status/i.test(subject))
  ) {
    const { notice: text, copy } = splitOriginalCopy(notice);
    let recipients = textRecipients(text, failed).map(toRecipient);
    if (recipients.length === 0) recipients = [toRecipient({ action: 'failed', ...statusFromWords(text) })];
    const original = originalOf(enclosed) ?? (copy ? originalOf(parseMime(copy)) : undefined);
    return {
      ok: true,
      report: { ...base, kind: 'bounce', style: style ?? 'other', recipients, ...(original ? { original } : {}) },
    };
  }

  // 4. Out-of-office and other automatic answers: recorded, never acted on.
  if (looksLikeAutoReply(root.headers, subject)) {
    const sender = addressOf(header(root, 'from'));
    const original = originalOf(enclosed);
    return {
      ok: true,
      report: {
        ...base,
        kind: 'auto_reply',
        style: 'auto-reply',
        recipients: sender ? [{ address: sender, status: '', classification: 'notice' }] : [],
        ...(original ? { original } : {}),
      },
    };
  }
  return { ok: false, reason: 'not a bounce, a complaint or an automatic reply that Listwarden can read' };
}

function statusFromWords(text: string): Pick<DsnRecipient, 'status'> {
  const recipients = textRecipients(`<unknown@invalid>:\n${text}`, []);
  const status = recipients[0]?.status;
  return status ? { status } : {};
}
