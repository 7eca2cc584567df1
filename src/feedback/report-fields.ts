import { parseHeaders } from './mime.js';

/**
 * The machine-readable parts of reports: message/delivery-status (RFC 3464) and
 * message/feedback-report (RFC 5965). Both are groups of header-style fields.
 */
export interface DsnRecipient {
  finalRecipient?: string;
  originalRecipient?: string;
  action?: string;
  status?: string;
  /** The status was read from the words (`User unknown` → 5.1.1), not given by the receiver. */
  statusInferred?: boolean;
  diagnosticCode?: string;
  remoteMta?: string;
  /** Text around the recipient in a plain-text notice: read for the reason, not kept. */
  context?: string[];
}

export interface DeliveryStatus {
  reportingMta?: string;
  recipients: DsnRecipient[];
}

export interface FeedbackReportFields {
  feedbackType?: string;
  userAgent?: string;
  originalMailFrom?: string;
  originalRcptTo?: string;
  /** Every Original-Rcpt-To (a report may name several). */
  originalRcptTos?: string[];
  reportedDomain?: string;
  sourceIp?: string;
  arrivalDate?: string;
}

/** `rfc822; <a@b>` or `a@b` → `a@b` (lower-case domain kept as given otherwise). */
export function addressOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  // Addresses are short; a bound keeps the regex linear on hostile header values.
  const bounded = value.slice(0, 1000);
  const afterType = bounded.includes(';') ? bounded.slice(bounded.indexOf(';') + 1) : bounded;
  const match = /<?([^<>\s;]+@[^<>\s;]+?)>?(?:\s|$)/.exec(afterType.trim() + ' ');
  const address = match?.[1]?.replace(/[.,]+$/, '');
  return address && address.length <= 320 ? address : undefined;
}

/** A report about more recipients than this names the first ones only (we send one per message). */
const MAX_RECIPIENTS = 100;

const get = (fields: Map<string, string[]>, name: string) => fields.get(name)?.[0];

export function parseDeliveryStatus(text: string): DeliveryStatus {
  const groups = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((g) => parseHeaders(g.replace(/^\n+/, '')))
    .filter((g) => g.size > 0);
  const result: DeliveryStatus = { recipients: [] };
  const reporting = groups[0] ? get(groups[0], 'reporting-mta') : undefined;
  if (reporting) result.reportingMta = reporting.replace(/^dns;\s*/i, '');
  for (const group of groups) {
    if (result.recipients.length >= MAX_RECIPIENTS) break;
    if (!group.has('final-recipient') && !group.has('original-recipient') && !group.has('action')) continue;
    const recipient: DsnRecipient = {};
    const final = addressOf(get(group, 'final-recipient'));
    const original = addressOf(get(group, 'original-recipient'));
    if (final) recipient.finalRecipient = final;
    if (original) recipient.originalRecipient = original;
    const action = get(group, 'action')?.toLowerCase().split(/[\s(]/)[0];
    if (action) recipient.action = action;
    const status = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(get(group, 'status') ?? '');
    if (status) recipient.status = `${status[1]}.${status[2]}.${status[3]}`;
    const diagnostic = get(group, 'diagnostic-code');
    if (diagnostic) recipient.diagnosticCode = diagnostic.replace(/^smtp;\s*/i, '').slice(0, 1000);
    const remote = get(group, 'remote-mta');
    if (remote) recipient.remoteMta = remote.replace(/^dns;\s*/i, '').slice(0, 255);
    result.recipients.push(recipient);
  }
  return result;
}

export function parseFeedbackReport(text: string): FeedbackReportFields {
  const fields = parseHeaders(text.replace(/\r\n?/g, '\n').replace(/\n[ \t]*\n/g, '\n'));
  const result: FeedbackReportFields = {};
  const type = get(fields, 'feedback-type')?.toLowerCase().trim();
  if (type) result.feedbackType = type.slice(0, 40);
  const agent = get(fields, 'user-agent');
  if (agent) result.userAgent = agent.slice(0, 200);
  const from = addressOf(get(fields, 'original-mail-from'));
  if (from) result.originalMailFrom = from;
  const tos = [...(fields.get('original-rcpt-to') ?? []), ...(fields.get('removal-recipient') ?? [])]
    .slice(0, MAX_RECIPIENTS)
    .map((v) => addressOf(v))
    .filter((a): a is string => a !== undefined);
  if (tos.length > 0) {
    result.originalRcptTo = tos[0] as string;
    result.originalRcptTos = [...new Set(tos)];
  }
  const domain = get(fields, 'reported-domain');
  if (domain) result.reportedDomain = domain.slice(0, 255);
  const ip = get(fields, 'source-ip');
  if (ip) result.sourceIp = ip.slice(0, 64);
  const date = get(fields, 'arrival-date') ?? get(fields, 'received-date');
  if (date) result.arrivalDate = date.slice(0, 100);
  return result;
}

export interface XarfFields {
  reportType?: string;
  category?: string;
  source?: string;
  reportedFrom?: string;
}

/** X-ARF 0.2 (the German abuse-desk format): YAML-style `Key: value` lines in the second part. */
export function parseXarfReport(text: string): XarfFields {
  const result: XarfFields = {};
  for (const line of text.slice(0, 64 * 1024).split(/\r?\n/)) {
    const m = /^([A-Za-z-]{1,40}):\s*(.{0,300})$/.exec(line.trim());
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).trim().replace(/^['"]|['"]$/g, '');
    if (key === 'report-type') result.reportType = value.toLowerCase().slice(0, 40);
    else if (key === 'category') result.category = value.toLowerCase().slice(0, 40);
    else if (key === 'source') result.source = value.slice(0, 64);
    else if (key === 'reported-from') result.reportedFrom = addressOf(value) ?? value.slice(0, 120);
  }
  return result;
}
