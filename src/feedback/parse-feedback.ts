import { isComplaintType, looksLikeAutoReply, type Classification } from './classify.js';
import {
  FILTER_GATEWAY,
  kindOf,
  addressOrFilter,
  refusedCommand,
  reasonOf,
  specificStatus,
  type BounceReason,
  type RecipientKind,
} from './reasons.js';

const ENHANCED_STATUS = /(?<![\d.])[245]\.\d{1,3}\.\d{1,3}/;
import { decodeWords, header, parseMime, walk, type MimeEntity } from './mime.js';
import {
  addressOf,
  parseDeliveryStatus,
  parseFeedbackReport,
  parseXarfReport,
  type DsnRecipient,
} from './report-fields.js';
import { parseSesNotification } from './ses-notification.js';
import { detectStyle, splitOriginalCopy, textRecipients, type BounceStyle } from './text-bounces.js';

/** What a report says, before we know whose mail it was. Pure: no I/O. */
export type FeedbackKind = 'bounce' | 'complaint' | 'auto_reply' | 'notice';
export type ReportStyle = BounceStyle | 'arf' | 'x-arf' | 'jmrp' | 'yahoo-cfl' | 'ses' | 'auto-reply' | 'smtp-session';

export interface ReportedRecipient {
  address?: string;
  status: string;
  action?: string;
  diagnostic?: string;
  remoteMta?: string;
  /** Why it failed (or `delivered`), from the fixed taxonomy in reasons.ts. */
  reason: BounceReason;
  kind: RecipientKind;
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

const CLASSIFICATION: Record<RecipientKind, Classification> = {
  hard_bounce: 'hard',
  soft_bounce: 'soft',
  notice: 'notice',
};

/** One recipient of a report with its most specific status, its reason and its kind. */
function toRecipient(r: DsnRecipient, noticeText = '', filterGateway = false): ReportedRecipient {
  const diagnostic = r.diagnosticCode ?? '';
  const given =
    r.status ??
    (r.action === 'delayed'
      ? '4.0.0'
      : r.action === 'delivered' || r.action === 'relayed' || r.action === 'expanded'
        ? '2.0.0'
        : undefined);
  const status = specificStatus(given, diagnostic) ?? '5.0.0';
  const stated = (given !== undefined && !r.statusInferred) || ENHANCED_STATUS.test(diagnostic);
  const texts = [diagnostic, ...(r.context ?? []), noticeText.slice(0, 2000)];
  const reason = addressOrFilter(
    reasonOf({
      status: given === undefined && !ENHANCED_STATUS.test(diagnostic) ? undefined : status,
      action: r.action,
      diagnostic,
      context: texts.slice(1),
    }),
    {
      statedStatus: stated ? status : undefined,
      command: refusedCommand(texts),
      filterGateway,
      wording: texts.find((text) => text.trim() !== '') ?? '',
    },
  );
  const kind = kindOf(reason, status, r.action);
  const recipient: ReportedRecipient = { status, reason, kind, classification: CLASSIFICATION[kind] };
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
    const hotmailTo =
      original?.hotmailRecipient ?? hotmail?.headers.get('x-hmxmroriginalrecipient')?.map((v) => addressOf(v))[0];
    // Original-Rcpt-To (all of them), else JMRP's recipient, else the enclosed message's To.
    const addresses = fields.originalRcptTos ?? [hotmailTo ?? original?.to].filter((a): a is string => a !== undefined);
    const complained = isComplaintType(feedbackType);
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
        kind: complained ? 'complaint' : 'notice',
        style,
        recipients: addresses.map((address) => reportedOnly(address, complained ? 'feedback' : 'authfailure')),
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
        recipients: address ? [reportedOnly(address, 'feedback')] : [],
        complaint,
        ...(original ? { original } : {}),
      },
    };
  }

  // 1c. Amazon SES notifications (JSON, raw or in its SNS envelope) relayed by mail.
  const ses = parseSesNotification(firstText(root));
  if (ses) {
    const original: OriginalMessage | undefined =
      ses.messageId || ses.to
        ? {
            ...(messageIdOf(ses.messageId) ? { messageId: messageIdOf(ses.messageId) as string } : {}),
            ...(ses.to ? { to: addressOf(ses.to) ?? ses.to } : {}),
          }
        : undefined;
    if (ses.type === 'complaint') {
      const complained = isComplaintType(ses.feedbackType);
      return {
        ok: true,
        report: {
          ...base,
          kind: complained ? 'complaint' : 'notice',
          style: 'ses',
          recipients: ses.recipients
            .map((r) => r.finalRecipient)
            .filter((a): a is string => a !== undefined)
            .map((address) => reportedOnly(address, complained ? 'feedback' : 'authfailure')),
          complaint: { feedbackType: ses.feedbackType ?? 'abuse', userAgent: 'Amazon SES' },
          ...(original ? { original } : {}),
        },
      };
    }
    const recipients = ses.recipients.map((r) => toRecipient(r));
    const kind: FeedbackKind = recipients.every((r) => r.kind === 'notice') ? 'notice' : 'bounce';
    return { ok: true, report: { ...base, kind, style: 'ses', recipients, ...(original ? { original } : {}) } };
  }

  // 2. RFC 3464 delivery status notifications (and RFC 6533's global form).
  const notice = noticeText(root);
  // Addresses that are not failed recipients: whom the report was sent to (our sender) and the original's From.
  // A filtering gateway names itself in the notice, its From, its X-Mailer, its own header or the Received line it added.
  const gateway = FILTER_GATEWAY.test(
    [
      notice.slice(0, 8192),
      ...['from', 'x-mailer', 'x-nai-header'].map((name) => header(root, name) ?? ''),
      ...(root.headers.get('received') ?? []).slice(0, 2),
    ].join(' '),
  );
  const ours = new Set(
    [...listOf(root.headers.get('to')), addressOf(header(enclosed, 'from'))]
      .filter((a): a is string => a !== undefined)
      .map((a) => a.toLowerCase()),
  );
  const from = header(root, 'from');
  const styleOf = () => detectStyle(notice, from, { exchangeNdr: root.headers.has('x-ms-exchange-message-is-ndr') });
  const statusPart = entities.find(
    (e) => e.type === 'message/delivery-status' || e.type === 'message/global-delivery-status',
  );
  if (statusPart) {
    const dsn = parseDeliveryStatus(statusPart.body);
    const humanText = splitOriginalCopy(notice).notice;
    // A DSN recipient without a Diagnostic-Code takes the words the human-readable part says about it.
    const failedHeader = listOf(root.headers.get('x-failed-recipients'));
    const usable = (a: string | undefined) => a !== undefined && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a);
    const broken = dsn.recipients.some((r) => !usable(r.finalRecipient) && !usable(r.originalRecipient));
    const needText = broken || dsn.recipients.some((r) => !r.diagnosticCode);
    // A Final-Recipient without a usable address (`@mx.example.org`) is named by the human-readable part.
    const named = needText ? textRecipients(humanText, failedHeader, ours) : [];
    const textual = new Map(named.map((t) => [t.finalRecipient?.toLowerCase(), t]));
    let recipients = dsn.recipients.map((dsnRecipient, index) => {
      const stand = named.length === dsn.recipients.length ? named[index] : undefined;
      const r: DsnRecipient =
        !usable(dsnRecipient.finalRecipient) && !usable(dsnRecipient.originalRecipient) && stand?.finalRecipient
          ? { ...dsnRecipient, finalRecipient: stand.finalRecipient }
          : dsnRecipient;
      const said = r.diagnosticCode
        ? undefined
        : (textual.get(r.finalRecipient?.toLowerCase()) ?? textual.get(r.originalRecipient?.toLowerCase()));
      const merged: DsnRecipient = said
        ? {
            ...r,
            ...(said.diagnosticCode ? { diagnosticCode: said.diagnosticCode } : {}),
            ...(said.context ? { context: said.context } : {}),
          }
        : r;
      return toRecipient(merged, humanText, gateway);
    });
    if (recipients.length === 0)
      recipients = textRecipients(humanText, listOf(root.headers.get('x-failed-recipients')), ours).map((r) =>
        toRecipient(r, '', gateway),
      );
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
  if (style || failed.length > 0 || looksLikeBounce(from, subject, notice)) {
    const { notice: text, copy } = splitOriginalCopy(notice);
    let recipients = textRecipients(text, failed, ours).map((r) => toRecipient(r, '', gateway));
    if (recipients.length === 0)
      recipients = [toRecipient({ action: 'failed', ...statusFromWords(text), context: [text.slice(0, 4000)] })];
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
        recipients: sender ? [reportedOnly(sender, 'vacation')] : [],
        ...(original ? { original } : {}),
      },
    };
  }
  return { ok: false, reason: 'not a bounce, a complaint or an automatic reply that Listwarden can read' };
}

/** A system sender (or a failure subject) and words that say a message was not delivered. */
function looksLikeBounce(from: string | undefined, subject: string, notice: string): boolean {
  const system =
    /mailer[- ]?daemon|postmaster|mail delivery|delivery subsystem|system administrator|mail administrator|no-?reply|\bmailer\b/i.test(
      from ?? '',
    );
  const failureSubject =
    /undeliver|returned|failure|failed|delivery status|non-?delivery|not (?:been )?delivered|could not be delivered|delivery (?:problem|error|report|notification)|error sending|could not (?:be )?sen[dt]|nicht zustellbar|unzustellbar|non remis|échec|no entregado/i.test(
      subject,
    );
  const failureWords =
    /could not be delivered|couldn't be delivered|did not reach|was not delivered|(?:delivery|delivering) (?:has |to [^\n]{1,80} )?failed|undeliverable|permanent (?:fatal )?error|while attempting to deliver|unable to deliver|not (?:be )?delivered to|trouble delivering|rejected recipient|error (?:delivering|sending)/i.test(
      notice.slice(0, 16 * 1024),
    );
  return (system && (failureSubject || failureWords)) || (failureSubject && failureWords);
}

/** A recipient a report names without a delivery status (complaints, automatic replies). */
function reportedOnly(address: string, reason: BounceReason): ReportedRecipient {
  return { address, status: '', reason, kind: 'notice', classification: 'notice' };
}

function statusFromWords(text: string): Pick<DsnRecipient, 'status'> {
  const recipients = textRecipients(`<unknown@invalid>:\n${text}`, []);
  const status = recipients[0]?.status;
  return status ? { status } : {};
}
