import type { DsnRecipient } from './report-fields.js';

/**
 * Bounces that are plain text, not RFC 3464: what Postfix, Exim, qmail, Exchange, Gmail and
 * Yahoo actually send (or put beside their DSN). Finds the failed recipients and, per recipient,
 * the SMTP reply and enhanced status code; when there is no code, infers one from the wording.
 */
export type BounceStyle =
  'rfc3464' | 'postfix' | 'exim' | 'qmail' | 'exchange' | 'gmail' | 'yahoo' | 'sendmail' | 'other';

const SIGNATURES: ReadonlyArray<[BounceStyle, RegExp]> = [
  ['qmail', /This is the qmail-send program|I'm afraid I wasn't able to deliver your message/i],
  ['yahoo', /Sorry,? we were unable to deliver your message to the following address/i],
  [
    'gmail',
    /Delivery to the following recipients? (?:failed permanently|has been delayed)|Google tried to deliver your message|Your message wasn't delivered to .+ because|mailer-daemon@google(?:mail)?\.com/i,
  ],
  [
    'exchange',
    /Delivery has failed to these recipients or groups|did not reach some or all of the intended recipients|did not reach the following recipient|Your message (?:to .+ )?couldn't be delivered|Remote Server returned '|RESOLVER\.ADR\./i,
  ],
  [
    'exim',
    /This message was created automatically by mail delivery software|SMTP error from remote mail server after/i,
  ],
  ['postfix', /This is the (?:mail system|Postfix program) at host/i],
  [
    'sendmail',
    /----- The following addresses had (?:permanent fatal|transient non-fatal) errors -----|----- Transcript of session follows -----/i,
  ],
];

export function detectStyle(
  text: string,
  from: string | undefined,
  extraHeaders: { exchangeNdr: boolean },
): BounceStyle | undefined {
  if (extraHeaders.exchangeNdr) return 'exchange';
  for (const [style, signature] of SIGNATURES) if (signature.test(text)) return style;
  if (from && /@(?:[a-z0-9-]+\.)*yahoo(?:inc)?\.com\b/i.test(from) && /Remote host said/i.test(text)) return 'yahoo';
  return undefined;
}

/** Where the copy of the original message starts inside a text bounce, if it is there. */
const COPY_MARKER =
  /^[ \t]*-{2,}[ \t]*(?:This is a copy of the message[^\n]{0,80}?|Below this line is a copy of the message\.?|Original message(?: follows)?|Message header follows|Original message headers|Undelivered message follows|Returned message follows)[ \t]*-{0,20}[ \t]*$/im;

export function splitOriginalCopy(text: string): { notice: string; copy: string | undefined } {
  const match = COPY_MARKER.exec(text);
  if (!match) return { notice: text, copy: undefined };
  return { notice: text.slice(0, match.index), copy: text.slice(match.index + match[0].length).replace(/^\n+/, '') };
}

const ADDRESS = "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?";
/** An address at the start of a line: `<a@b>:`, `  a@b`, `a@b (a@b)`, `a@b on 1/2/2020`. */
const LINE_ADDRESS = new RegExp(`^[ \\t]*["<]?(${ADDRESS})[">]?(?=[:\\s(]|$)`, 'gm');
const NOT_RECIPIENT = /^(?:postmaster|mailer-daemon|mail-daemon|bounces?(?:\+[^@]*)?)@/i;

// A reply code where a reply starts: not digits of an IP address, a size (`SIZE=222`) or a version.
const REPLY = /(?<![\d.=:/#-])\b([245]\d\d)(?:[ -]+|\s*:\s*)(?:#?([245]\.\d{1,3}\.\d{1,3})\b)?(?=\s*\S)/;
const ENHANCED = /(?:^|[\s#('"[])([245]\.\d{1,3}\.\d{1,3})(?=[\s)'":;,.\]]|$)/;

/** Status from words when no code is given (Yahoo's `dd This user doesn't have…`, qmail). */
export function inferStatus(text: string): string | undefined {
  if (
    /mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:the|its|their) (?:storage|quota)|insufficient (?:system )?storage/i.test(
      text,
    )
  )
    return '4.2.2';
  if (
    /user ?unknown|unknown user|no such (?:user|mailbox|recipient)|does(?:n't| not) (?:have an? .{1,40} account|exist)|recipient (?:address )?rejected|invalid (?:recipient|mailbox)|mailbox (?:unavailable|not found)|address rejected|RecipNotFound|account (?:has been )?disabled/i.test(
      text,
    )
  )
    return '5.1.1';
  if (
    /host (?:or domain name )?not found|host unknown|domain (?:not found|does not exist)|no mx|Name service error/i.test(
      text,
    )
  )
    return '5.1.2';
  if (
    /failed permanently|permanent (?:fatal )?error|permanent failure|this is a permanent error|fatal errors?|I've given up/i.test(
      text,
    )
  )
    return '5.0.0';
  if (
    /has been delayed|delivery delayed|will (?:retry|keep trying)|temporar(?:y|ily)|transient|deferred|try again later/i.test(
      text,
    )
  )
    return '4.0.0';
  return undefined;
}

function statusIn(context: string): { status?: string; inferred?: boolean; diagnostic?: string } {
  const reply = REPLY.exec(context);
  const enhanced = ENHANCED.exec(context);
  const lineOf = (index: number) =>
    context.slice(index, context.indexOf('\n', index) < 0 ? undefined : context.indexOf('\n', index)).trim();
  if (reply) {
    const status = reply[2] ?? (enhanced && enhanced[1]?.[0] === reply[1]?.[0] ? enhanced[1] : undefined);
    const diagnostic = lineOf(reply.index).slice(0, 500);
    if (status) return { status, diagnostic };
    const inferred = inferStatus(context);
    const klass = reply[1]?.[0] as string;
    const fallback =
      inferred && inferred[0] === klass ? inferred : inferred?.startsWith('4.2.2') ? inferred : `${klass}.0.0`;
    return { status: fallback, inferred: true, diagnostic };
  }
  if (enhanced) return { status: enhanced[1] as string, diagnostic: lineOf(Math.max(0, enhanced.index)).slice(0, 500) };
  const inferred = inferStatus(context);
  return inferred ? { status: inferred, inferred: true } : {};
}

const LOCAL_CHAR = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;

/**
 * Every address in running text, found from its `@` outwards: linear in the text, where a regex
 * scan for the local part would backtrack over every word.
 */
function* addressesIn(text: string, limit: number): Generator<{ address: string; index: number }> {
  let count = 0;
  for (let at = text.indexOf('@'); at >= 0 && count < limit; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && LOCAL_CHAR.test(text[start - 1] as string)) start--;
    let end = at + 1;
    while (end < text.length && end - at < 253 && DOMAIN_CHAR.test(text[end] as string)) end++;
    while (end > at + 1 && !/[A-Za-z0-9]/.test(text[end - 1] as string)) end--;
    if (start === at || end <= at + 1 || !text.slice(at + 1, end).includes('.')) continue;
    count++;
    yield { address: text.slice(start, end), index: start };
  }
}
/** A recipient named by the sentence that reports the failure. */
const DELIVERY_TO = new RegExp(
  `(?:deliver(?:ing|ed)?|delivery|sen(?:d|t)(?:ing)?|reach) (?:of )?(?:your |the )?(?:mail|message|e-?mail)? ?to:?\\s*<?(${ADDRESS})>?|rejected recipient <?(${ADDRESS})>?|could not be delivered to:?\\s*<?(${ADDRESS})>?`,
  'gi',
);

/** Lines that name the sender or the message, not a recipient. */
const NOT_A_RECIPIENT_LINE =
  /^[ \t>]*(?:from|sender|reply-to|return-path|message-id|in-reply-to|references|x-[\w-]+|received|envelope-from|mail from|(?:the )?sender(?: address)?|by|via)\b[^\n]*$/i;

/**
 * Addresses a text notice names as failed recipients: those that start a line (`<a@b>:`, `a@b`),
 * then any other address in the notice that is not on a sender line, not in a URL, not ours (the
 * report's own addresses, the original sender) and not a system mailbox.
 */
function candidateAddresses(notice: string, exclude: ReadonlySet<string>): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  const add = (address: string, at: number, system: 'allowed' | 'refused') => {
    const key = address.toLowerCase().replace(/\.+$/, '');
    if (system === 'refused' && NOT_RECIPIENT.test(key)) return;
    const list = positions.get(key) ?? [];
    if (list.length < 10) list.push(at);
    positions.set(key, list);
  };
  let scanned = 0;
  // "There was an error delivering your mail to <postmaster@…>": named as the recipient, even a system mailbox.
  for (const match of notice.matchAll(DELIVERY_TO)) {
    if (++scanned > 200 || positions.size >= 100) break;
    const address = (match[1] ?? match[2] ?? match[3]) as string;
    add(address, match.index + match[0].indexOf(address), 'allowed');
  }
  for (const match of notice.matchAll(LINE_ADDRESS)) {
    if (++scanned > 2000 || positions.size >= 100) break;
    add(match[1] as string, match.index, 'refused');
  }
  if (positions.size > 0) return positions;
  for (const match of addressesIn(notice, 4000)) {
    if (positions.size >= 100) break;
    const at = match.index;
    const lineStart = notice.lastIndexOf('\n', at) + 1;
    const lineEnd = notice.indexOf('\n', at);
    const line = notice.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
    const before = notice[at - 1] ?? ' ';
    if (NOT_A_RECIPIENT_LINE.test(line) || /[/=?&%+]/.test(before)) continue;
    if (exclude.has(match.address.toLowerCase())) continue;
    add(match.address, at, 'refused');
  }
  return positions;
}

/** The failed recipients named in a text notice, each with the status found near it. */
export function textRecipients(
  notice: string,
  failedRecipients: readonly string[],
  exclude: ReadonlySet<string> = new Set(),
): DsnRecipient[] {
  const positions = candidateAddresses(notice, exclude);
  for (const address of failedRecipients.slice(0, 100)) {
    const key = address.toLowerCase();
    if (!positions.has(key)) {
      const at = notice.toLowerCase().indexOf(key);
      positions.set(key, at < 0 ? [] : [at]);
    }
  }
  const starts = [...positions.values()].flat().sort((a, b) => a - b);
  const recipients: DsnRecipient[] = [];
  for (const [key, at] of positions) {
    let found: ReturnType<typeof statusIn> = {};
    let context = '';
    for (const start of at) {
      // The text up to the next other address is about this one.
      const next = starts.find((s) => s > start && !at.includes(s)) ?? notice.length;
      context = notice.slice(start, Math.min(next, start + 1200));
      found = statusIn(context);
      if (found.status) break;
    }
    const original = failedRecipients.find((a) => a.toLowerCase() === key) ?? key;
    const recipient: DsnRecipient = { finalRecipient: original, action: 'failed' };
    if (!found.status) found = { ...statusIn(notice), ...(found.diagnostic ? { diagnostic: found.diagnostic } : {}) };
    const status = found.status;
    if (status) recipient.status = status;
    if (found.inferred) recipient.statusInferred = true;
    if (found.diagnostic) recipient.diagnosticCode = found.diagnostic;
    if (status?.startsWith('4')) recipient.action = 'delayed';
    // The words around the address decide the reason; the whole notice when they say nothing.
    recipient.context = [context, notice.slice(0, 2000)];
    recipients.push(recipient);
  }
  return recipients;
}
