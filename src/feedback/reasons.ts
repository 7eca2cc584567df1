/**
 * Why a message failed, from a fixed taxonomy, read from the enhanced status code, the SMTP reply
 * and the diagnostic wording of the common MTAs and mailbox providers. Pure.
 *
 * Hard means the address cannot receive mail (userunknown, hostunknown, hasmoved, and notaccept
 * with a 5xx); everything else that failed is soft. Sender-side reasons are about us (our IP, our
 * domain's authentication, our content or our pace), never about the recipient.
 */
export const ALL_REASONS = [
  'userunknown',
  'hostunknown',
  'hasmoved',
  'notaccept',
  'mailboxfull',
  'exceedlimit',
  'mesgtoobig',
  'expired',
  'suspend',
  'blocked',
  'spamdetected',
  'virusdetected',
  'policyviolation',
  'contenterror',
  'filtered',
  'rejected',
  'requireptr',
  'authfailure',
  'badreputation',
  'norelaying',
  'securityerror',
  'toomanyconn',
  'speeding',
  'networkerror',
  'systemerror',
  'systemfull',
  'syntaxerror',
  'onhold',
  'feedback',
  'vacation',
  'delivered',
  'undefined',
] as const;

export type BounceReason = (typeof ALL_REASONS)[number];

/** Reasons that are about us, not the recipient: they never count against the address. */
export const SENDER_SIDE: ReadonlySet<BounceReason> = new Set<BounceReason>([
  'blocked',
  'spamdetected',
  'policyviolation',
  'requireptr',
  'authfailure',
  'badreputation',
  'norelaying',
  'securityerror',
  'toomanyconn',
  'speeding',
  'rejected',
  'contenterror',
]);

const HARD: ReadonlySet<BounceReason> = new Set<BounceReason>(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

/**
 * Wording per reason, in the order they are tried: the reasons that are about us first (a
 * blocklist refusal often also says "recipient rejected"), then the recipient's, then the generic.
 */
const WORDING: ReadonlyArray<[BounceReason, RegExp]> = [
  // Microsoft's edge answers an unknown recipient of a hosted domain with "Access denied".
  [
    'userunknown',
    /recipient address rejected: access denied|recip(?:ient)?notfound|5\.4\.1 [^\n]{0,80}access denied|not listed in (?:the )?(?:domino directory|public name (?:&|and) address book|(?:address|name) book|directory)/i,
  ],
  // The sender (our From or return path) was refused, not the recipient.
  [
    'rejected',
    /sender (?:address )?(?:rejected|refused|denied|blocked|not allowed|verify failed)|mail from (?:rejected|refused)|domain of sender address|sender domain[^\n]{0,40}(?:invalid|not (?:found|exist|resolve))|bad sender|invalid sender|sender (?:address )?(?:is )?(?:invalid|unknown)/i,
  ],
  // A DNS server that failed to answer is a network problem, not a missing domain.
  [
    'networkerror',
    /malformed or unexpected name server reply|name ?server (?:failure|timeout|error)|servfail|dns (?:timeout|server failure)|temporary (?:dns|name resolution) failure/i,
  ],
  [
    'norelaying',
    /relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed))|not (?:permitted|allowed) to relay|unable to relay|we do not relay|relay not permitted|no relaying|not a gateway|relaying mail to .{1,80} is not allowed/i,
  ],
  [
    'requireptr',
    /reverse (?:dns|lookup|hostname)|\brdns\b|\bptr\b(?: record)?|cannot find your (?:reverse )?hostname|unresolvable (?:ip|address|hostname)|hostname (?:does not|doesn't) match|no (?:ptr|reverse)|ip name lookup failed|not resolve (?:your|the) (?:ip|address)/i,
  ],
  [
    'authfailure',
    /\b(?:spf|dkim|dmarc)\b[^\n]{0,60}(?:fail|check|polic|reject|invalid|not pass|didn't pass|does not pass)|(?:fail|reject)[^\n]{0,40}\b(?:spf|dkim|dmarc)\b|sender policy framework|domain-?keys|not authorized to send on behalf|unauthenticated (?:email|mail|sender)|authentication (?:checks? )?(?:failed|failure) for (?:the )?sender|5\.7\.(?:23|26|509)\b/i,
  ],
  ['virusdetected', /\bvirus|malware|infected|trojan|\bworm\b/i],
  [
    'spamdetected',
    /\bspam\b|spam(?:my|ming)|junk ?mail|\buce\b|unsolicited|bulk (?:e-?)?mail|content (?:was )?(?:rejected|refused) as|message (?:content )?(?:looks|looked) like|classified as (?:junk|spam)|high probability|score (?:too high|exceeded)/i,
  ],
  [
    'badreputation',
    /(?:poor|bad|low) (?:ip |sender |domain )?reputation|reputation (?:is )?(?:too low|poor|bad)|sender score|ip reputation/i,
  ],
  [
    'blocked',
    /block(?:ed|list(?:ed)?)|black ?list(?:ed)?|\bdnsbl\b|\brbl\b|spamhaus|spamcop|barracuda|\bsorbs\b|uceprotect|\bpsbl\b|mailspike|listed (?:in|on|at|by) (?:the )?[^\s]*(?:spam|bl\.|rbl|dnsbl|block|black|barracuda|sorbs)|client host (?:\[[^\]]*\] )?rejected|(?:your|the) (?:ip|ip address|host|server|network) (?:\[?[^\s]*\]? )?(?:is |has been )?(?:not allowed|banned|denied|rejected|refused)|access denied|banned|dynamic (?:ip|address|pool)|dial-?up|residential|\bdul\b|connection (?:refused|rejected) (?:from|by policy)|not accepting mail from|refused to talk|service unavailable;? client host|ip frequency limited/i,
  ],
  [
    'toomanyconn',
    /too many (?:connections|concurrent|sessions|simultaneous)|connection (?:limit|count)|concurrent connections|max(?:imum)? (?:number of )?connections|frequency limited/i,
  ],
  [
    'speeding',
    /rate limit|too many (?:messages|mails|emails|recipients per)|(?:sending|message|receiving|mail) rate|throttl|slow down|exceeded (?:the )?(?:maximum )?(?:number of )?(?:messages|sending)|receiving mail at a rate|too fast|rate of incoming/i,
  ],
  [
    'securityerror',
    /starttls|\btls\b|encryption (?:required|needed)|must issue a starttls|authentication (?:is )?required|5\.7\.0 authentication|security (?:policy|error)|insecure|certificate/i,
  ],
  [
    'hasmoved',
    /has (?:been )?moved|(?:user|address|mailbox) (?:has )?(?:moved|changed)|no longer (?:at|with|uses|valid at) this (?:address|domain)|new address is/i,
  ],
  [
    'notaccept',
    /(?:does not|doesn't|do not) accept (?:any )?(?:e-?)?mail|not accepting (?:any )?(?:e-?)?mail|null mx|accepts no mail|domain (?:does not|doesn't) receive/i,
  ],
  [
    'hostunknown',
    /host (?:or domain name )?(?:not found|unknown)|unknown (?:host|domain)|domain (?:not found|(?:name )?does not exist|doesn't exist|is not valid|is not reachable|unreachable|not (?:in|on) (?:my|our) list)|no such (?:domain|host)|name service error|no mx (?:record|host)|no (?:valid )?(?:mx|mail exchanger)|could(?:n't| not) find any host|unrouteable (?:mail )?domain|dns (?:error|lookup failed)[^\n]{0,40}(?:domain|nxdomain|not found)|nxdomain|host not reachable by dns|bad destination system address|recipient domain[^\n]{0,30}(?:invalid|unknown|not exist)/i,
  ],
  [
    'suspend',
    /(?:account|mailbox|user|address|recipient)[^\n]{0,40}(?:disabled|deactivated|suspended|inactive|locked|frozen|blocked by administrator|not active|expired)|(?:disabled|suspended|inactive|deactivated) (?:account|mailbox|user)|mailbox (?:is )?(?:currently )?unavailable due to|temporarily (?:disabled|suspended)/i,
  ],
  [
    'mailboxfull',
    /mailbox (?:is )?full|(?:over|exceed(?:s|ed)?|reached) (?:the |its |his |her |their )?(?:storage |disk |mailbox )?(?:quota|limit)|quota (?:exceeded|full|violation)|over ?quota|insufficient (?:disk )?(?:space|storage) (?:for|in) (?:the )?(?:user|mailbox|recipient)|mailbox size limit|(?:mailbox|inbox) (?:is )?(?:over|at) (?:its )?(?:size|capacity)|out of (?:storage|space)|storage (?:is )?full|too many messages (?:in|on) (?:the )?(?:mailbox|user)|user has exceeded/i,
  ],
  [
    'exceedlimit',
    /exceeds? (?:the )?(?:size limit|maximum (?:size|allowed)) (?:of|for) (?:the )?(?:mailbox|recipient|user)|message (?:length|size) exceeds (?:administrative|the recipient)/i,
  ],
  [
    'mesgtoobig',
    /(?:message|mail|e-?mail)[^\n]{0,30}(?:too (?:large|big|long)|size exceeds|exceeds (?:the )?(?:maximum|fixed|size))|size (?:limit )?exceeded|exceeds (?:fixed )?maximum message size|message file too big|larger than (?:the )?(?:maximum|allowed)/i,
  ],
  [
    'filtered',
    /filter(?:ed|ing)?\b|refused by (?:user|recipient)|rejected by (?:the )?(?:user|recipient)|recipient (?:has )?(?:blocked|refused|rejected) (?:you|your|the sender|mail)|user (?:has )?(?:refused|rejected)|not (?:allowed|authorized) to (?:receive|send to)|sender (?:is )?not (?:allowed|authorized|in the whitelist)|does not accept mail from you|recipient's preference|user reject/i,
  ],
  [
    'userunknown',
    /user ?unknown|unknown (?:user|recipient|local[- ]part|address|mailbox)|no such (?:user|mailbox|recipient|account|address|local user)|(?:mailbox|user|recipient|account|address|e-?mail (?:account|address))(?: [^\s]{1,100})? (?:does not|doesn't|did not) exist|(?:mailbox|user|recipient|address|account) (?:not found|unavailable|unknown|invalid|not valid)|invalid (?:recipient|mailbox|user|address|e-?mail address)|recipient (?:address )?rejected(?!:[ \t]*\S)|recipnotfound|not (?:a )?valid (?:recipient|mailbox|user|address)|no mailbox (?:here )?by that name|is not a (?:valid|known) (?:user|mailbox)|(?:doesn't|does not) have an? [^\n]{1,40} account|not our customer|bad destination mailbox|undeliverable address|unknown or illegal alias|no valid recipients|not listed in (?:domino )?directory|unrouteable address|mailbox not present|this account (?:is not|isn't) available|user (?:is )?not (?:found|here|local)|address (?:does not|doesn't) exist|recipient name is not recognized|invalid final delivery userid/i,
  ],
];

/** Catch-all wording: read after a specific status code had its say. */
const GENERIC_WORDING: ReadonlyArray<[BounceReason, RegExp]> = [
  [
    'rejected',
    /rejected (?:your|the) (?:message|mail)|message (?:was )?(?:rejected|refused)|\bdenied\b|\brefused\b|\breject(?:ed)?\b/i,
  ],
  ['policyviolation', /polic(?:y|ies)|violat|prohibited|not (?:permitted|allowed)|forbidden|compliance/i],
  [
    'contenterror',
    /header (?:error|is invalid|too long)|invalid (?:header|mime|message)|malformed|message (?:contains|has) (?:invalid|illegal)|content (?:error|rejected)|bare (?:lf|linefeed|cr)|8-?bit|encoding/i,
  ],
  [
    'systemfull',
    /insufficient (?:system )?storage|disk (?:is )?full|system (?:is )?full|(?:out of|no) (?:disk )?space|file system full/i,
  ],
  [
    'networkerror',
    /connection (?:refused|timed out|reset|closed|lost|dropped|failed)|timed? ?out|network (?:is )?unreachable|no route to host|lost connection|could(?:n't| not) connect|unable to connect|(?:conversation|session) with [^\n]{1,80} (?:timed out|failed)|broken pipe|host is unreachable|temporary (?:dns|name resolution) failure|try again later/i,
  ],
  [
    'expired',
    /delivery time expired|retry (?:time(?:out)?|period) (?:exceeded|expired)|message expired|(?:could|can)(?:n't| not) be delivered (?:with)?in|(?:been )?in the queue too long|queue(?:d)? too long|expired (?:after|while)|gave up|giving up|i'm not going to try again|unable to deliver (?:for|within)|delivery (?:attempts|has) (?:will continue|been delayed)|has been delayed|delayed|will (?:retry|keep trying)|not (?:yet )?been delivered/i,
  ],
  [
    'systemerror',
    /system (?:error|failure|problem)|internal (?:server )?error|local error|server error|routing loop|mail loop|too many hops|loop(?:ing)? detected|configuration error|misconfigur|temporary (?:failure|error|local problem)|unavailable|try later|service not available|resources? (?:temporarily )?unavailable/i,
  ],
  [
    'syntaxerror',
    /syntax error|command (?:unrecognized|not recognized)|bad sequence of commands|unrecognized command|line too long/i,
  ],
];

/**
 * The literal start of every top-level alternative of a pattern (`user ?unknown` → `use`), or
 * undefined when some alternative has none: a text that contains none of them cannot match, so the
 * pattern need not run. Checking a few substrings is much cheaper than running the pattern.
 */
function literalStarts(source: string): string[] | undefined {
  const alternatives: string[] = [];
  let depth = 0;
  let inClass = false;
  let current = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      current += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      alternatives.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  alternatives.push(current);
  const starts: string[] = [];
  for (const alternative of alternatives) {
    const body = alternative.replace(/^\\b/, '').replace(/^\^/, '');
    // An alternative that opens with a group starts with one of the group's own starts.
    if (body.startsWith('(?:')) {
      const close = closingParen(body);
      const after = body[close + 1];
      const inner =
        close > 0 && after !== '?' && after !== '*' && after !== '{' ? literalStarts(body.slice(3, close)) : undefined;
      if (!inner) return undefined;
      starts.push(...inner);
      continue;
    }
    const literal = /^[a-z0-9 '\-:;,]+/.exec(body)?.[0] ?? '';
    // A quantifier after the literal makes its last character optional.
    const next = body[literal.length];
    const start = next === '?' || next === '*' || next === '{' ? literal.slice(0, -1) : literal;
    if (start.length < 2) return undefined;
    starts.push(start);
  }
  return starts;
}

/** Where the group opened at `text[0]` closes. */
function closingParen(text: string): number {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** The patterns compiled once without the `i` flag (the text is lower-cased once), with their literal starts. */
const compile = (list: ReadonlyArray<[BounceReason, RegExp]>) =>
  list.map(([reason, rx]) => ({ reason, rx: new RegExp(rx.source), starts: literalStarts(rx.source) }));
const LOWER_WORDING = compile(WORDING);
const LOWER_GENERIC = compile(GENERIC_WORDING);

/** The words of one text, lower-cased and without URLs; the notice is shared by a report's recipients. */
const wordingCache = new Map<string, { text: string; specific?: BounceReason | null; generic?: BounceReason | null }>();

function wordingOf(raw: string, which: 'specific' | 'generic'): BounceReason | undefined {
  let entry = wordingCache.get(raw);
  if (!entry) {
    // A help link counts by its host (`www.spamhaus.org` names the blocklist), not by its path
    // (`?p=UnsolicitedMessageError`, `#filtered`); an address's local part (`filtered@…`) is not the reply.
    const text = raw
      .slice(0, 1000)
      .replace(/\bhttps?:\/\/([^\s/?#]+)\S*/gi, ' $1 ')
      .replace(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g, ' ')
      .toLowerCase();
    entry = { text };
    if (wordingCache.size >= 64) wordingCache.delete(wordingCache.keys().next().value as string);
    wordingCache.set(raw, entry);
  }
  if (entry[which] === undefined) {
    const text = entry.text;
    entry[which] =
      (which === 'specific' ? LOWER_WORDING : LOWER_GENERIC).find(
        ({ rx, starts }) => (starts === undefined || starts.some((s) => text.includes(s))) && rx.test(text),
      )?.reason ?? null;
  }
  return entry[which] ?? undefined;
}

/** Enhanced status codes (RFC 3463 and the IANA registry) that name a reason by themselves. */
function reasonOfStatus(status: string): BounceReason | undefined {
  const [klass, subject, detail] = status.split('.').map(Number) as [number, number, number];
  if (klass === 2) return 'delivered';
  const code = `${subject}.${detail}`;
  const exact: Record<string, BounceReason> = {
    '1.1': 'userunknown',
    '1.2': 'hostunknown',
    '1.3': 'userunknown',
    '1.4': 'userunknown',
    '1.5': 'userunknown',
    '1.6': 'hasmoved',
    '1.7': 'rejected',
    '1.8': 'rejected',
    '1.10': 'notaccept',
    '2.1': 'suspend',
    '2.2': 'mailboxfull',
    '2.3': 'exceedlimit',
    '2.4': 'systemerror',
    '3.0': 'systemerror',
    '3.1': 'systemfull',
    '3.2': 'systemerror',
    '3.3': 'systemerror',
    '3.4': 'mesgtoobig',
    '3.5': 'systemerror',
    '4.0': 'networkerror',
    '4.1': 'networkerror',
    '4.2': 'networkerror',
    '4.3': 'systemerror',
    '4.4': 'hostunknown',
    '4.5': 'toomanyconn',
    '4.6': 'systemerror',
    '4.7': 'expired',
    '5.0': 'syntaxerror',
    '5.1': 'syntaxerror',
    '5.2': 'syntaxerror',
    '5.3': 'speeding',
    '5.4': 'syntaxerror',
    '5.5': 'syntaxerror',
    '6.0': 'contenterror',
    '6.1': 'contenterror',
    '6.2': 'contenterror',
    '6.3': 'contenterror',
    '6.4': 'contenterror',
    '6.5': 'contenterror',
    '6.6': 'contenterror',
    '7.1': 'rejected',
    '7.2': 'policyviolation',
    '7.3': 'securityerror',
    '7.4': 'securityerror',
    '7.5': 'securityerror',
    '7.6': 'securityerror',
    '7.7': 'securityerror',
    '7.8': 'securityerror',
    '7.9': 'securityerror',
    '7.10': 'securityerror',
    '7.11': 'securityerror',
    '7.13': 'suspend',
    '7.14': 'securityerror',
    '7.15': 'securityerror',
    '7.16': 'exceedlimit',
    '7.17': 'suspend',
    '7.18': 'suspend',
    '7.19': 'suspend',
    '7.20': 'authfailure',
    '7.21': 'authfailure',
    '7.22': 'authfailure',
    '7.23': 'authfailure',
    '7.24': 'authfailure',
    '7.25': 'requireptr',
    '7.26': 'authfailure',
    '7.27': 'notaccept',
    '7.28': 'speeding',
    '7.29': 'authfailure',
    '7.30': 'authfailure',
  };
  return exact[code];
}

/** An enhanced status code in a diagnostic: `5.7.1` in `554 5.7.1 Service unavailable`. */
const ENHANCED_IN_TEXT = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/;

/**
 * The most specific status: a DSN's generic `X.0.0` (or none) gives way to the code in its
 * diagnostic, so `Status: 5.0.0` with `554 5.7.1 …` is 5.7.1.
 */
export function specificStatus(status: string | undefined, diagnostic: string): string | undefined {
  const inText = ENHANCED_IN_TEXT.exec(diagnostic);
  const found = inText ? `${inText[1]}.${inText[2]}.${inText[3]}` : undefined;
  if (!status) return found;
  if (found && /\.0\.0$/.test(status) && found[0] === status[0]) return found;
  return status;
}

/** The reason of one failed (or delivered) recipient. */
export function reasonOf(input: {
  status?: string | undefined;
  action?: string | undefined;
  diagnostic?: string | undefined;
  /** More text to read when the diagnostic says nothing, nearest first (the lines around, the notice). */
  context?: readonly string[];
}): BounceReason {
  if (input.action && ['delivered', 'relayed', 'expanded'].includes(input.action)) return 'delivered';
  if (input.status?.startsWith('2')) return 'delivered';
  // The recipient's own diagnostic first; only when it says nothing, the words around it.
  const texts = [input.diagnostic ?? '', ...(input.context ?? [])].filter((text) => text.trim() !== '');
  const byWords = (which: 'specific' | 'generic') => {
    for (const text of texts) {
      const found = wordingOf(text, which);
      if (found) return found;
    }
    return undefined;
  };
  const specific = byWords('specific');
  if (specific) return specific;
  // A specific status code (not X.0.0) outranks catch-all words such as "rejected" or "denied".
  const byStatus = input.status ? reasonOfStatus(input.status) : undefined;
  if (byStatus && !/\.0\.0$/.test(input.status ?? '')) return byStatus;
  const generic = byWords('generic');
  if (generic) return generic;
  if (byStatus) return byStatus;
  if (input.action === 'delayed' || input.status?.startsWith('4')) return 'expired';
  return input.status?.startsWith('5') ? 'onhold' : 'undefined';
}

/**
 * Mail filtering gateways (McAfee, SurfControl, MXLogic, MailFoundry, m-FILTER) answer for the
 * mailbox behind them; their "no such user" is a filter's decision about the message.
 */
export const FILTER_GATEWAY = /\b(?:mcafee|surfcontrol|mxlogic|mailfoundry|m-filter)\b/i;

/** An SMTP transcript's or an MTA's words for the command the receiver answered. */
const COMMAND_MARK = /(?:in reply to|after|did not like our|>>>)\s*(?:the\s+)?(?:end of\s+)?(rcpt|data)\b/gi;

/**
 * The command the receiver refused, from the first text that names one: `rcpt` (a verdict about
 * the address) or `data` (the receiver had accepted the recipient; a verdict about the message).
 * In a transcript the last command named is the one that failed.
 */
export function refusedCommand(texts: readonly string[]): 'rcpt' | 'data' | undefined {
  for (const text of texts) {
    let last: string | undefined;
    for (const match of text.slice(0, 4000).matchAll(COMMAND_MARK)) last = match[1];
    if (last) return last.toLowerCase() as 'rcpt' | 'data';
  }
  return undefined;
}

/** The stock phrases filters borrow when they refuse a message ("550 Unknown user", "No such user"). */
const STOCK_UNKNOWN = /\b(?:user unknown|unknown user|no such user)\b/i;

/**
 * KDDI au answers `550 : User unknown`, with the address left out, when the recipient's own sender
 * filter refused the mail, and `550 <address>: User unknown` when the address does not exist.
 */
const AU_FILTER = /\b550:? : user unknown/i;

/**
 * "User unknown" is a verdict about the address only where the receiver gave it about the address:
 * with an enhanced code 5.1.x, or in answer to RCPT TO. The stock phrase given after DATA (the
 * receiver had already accepted the recipient), with a code about the mailbox's state (5.2.x: that reason) or the receiver's policy (5.7.x), or by a
 * filtering gateway that answers for the mailbox behind it,
 * is a filter's decision about the message: filtered, which is soft. Pure.
 */
export function addressOrFilter(
  reason: BounceReason,
  evidence: {
    statedStatus: string | undefined;
    command: 'rcpt' | 'data' | undefined;
    filterGateway: boolean;
    /** The receiver's words about this recipient. */
    wording: string;
  },
): BounceReason {
  if (reason !== 'userunknown') return reason;
  const { statedStatus, command, filterGateway, wording } = evidence;
  if (AU_FILTER.test(wording)) return 'filtered';
  if (statedStatus?.startsWith('5.1.') || command === 'rcpt' || !STOCK_UNKNOWN.test(wording)) return 'userunknown';
  // A code about the mailbox's state (5.2.1 disabled, 5.2.2 full) says more than the stock phrase.
  if (statedStatus?.startsWith('5.2.')) return reasonOfStatus(statedStatus) ?? 'suspend';
  if (filterGateway || command === 'data' || statedStatus?.startsWith('5.7.')) return 'filtered';
  return 'userunknown';
}

export type RecipientKind = 'hard_bounce' | 'soft_bounce' | 'notice';

/** Hard when the address cannot receive mail (a permanent failure about the address); else soft. */
export function kindOf(reason: BounceReason, status: string | undefined, action?: string): RecipientKind {
  if (reason === 'delivered' || reason === 'vacation' || reason === 'feedback') return 'notice';
  if (action === 'delayed') return 'soft_bounce';
  const permanent = !status || status.startsWith('5');
  return HARD.has(reason) && permanent ? 'hard_bounce' : 'soft_bounce';
}
