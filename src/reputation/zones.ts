/**
 * The catalogue of blocklists Listwarden knows, with what their answers mean, how receivers use
 * them, and where to ask for delisting. Pure data and rules. Zones outside the catalogue are read
 * generically: any 127.0.0.0/8 answer is a listing, except the error ranges below.
 */
export type ZoneKind = 'ip' | 'domain';

export interface ZoneInfo {
  zone: string;
  name: string;
  kind: ZoneKind;
  /** Answer → meaning; answers not named here are listings "in this zone". */
  codes: Record<string, string>;
  delistUrl?: string;
  /** Major receivers refuse mail from IPs listed here: a listing pauses campaigns. */
  blocks: boolean;
  /** Spamhaus zones can be queried through a DQS key instead of the public mirrors. */
  spamhaus?: boolean;
  /** The zone lists whole allocations or networks around abusers (UCEPROTECT 2/3). */
  ranges?: boolean;
}

export const CATALOGUE: readonly ZoneInfo[] = [
  {
    zone: 'zen.spamhaus.org',
    name: 'Spamhaus ZEN',
    kind: 'ip',
    codes: {
      '127.0.0.2': 'SBL: Spamhaus Block List (direct spam source or operation)',
      '127.0.0.3': 'CSS: Spamhaus CSS (snowshoe or low-reputation sending)',
      '127.0.0.4': 'XBL: exploited host (botnet, open proxy)',
      '127.0.0.9': 'DROP: hijacked or criminal netblock',
      '127.0.0.10': 'PBL: ISP policy, end-user range that should not send direct to MX',
      '127.0.0.11': 'PBL: Spamhaus policy, range not meant to send mail',
    },
    delistUrl: 'https://check.spamhaus.org/',
    blocks: true,
    spamhaus: true,
  },
  {
    zone: 'bl.spamcop.net',
    name: 'SpamCop',
    kind: 'ip',
    codes: { '127.0.0.2': 'reported by SpamCop users' },
    delistUrl: 'https://www.spamcop.net/bl.shtml',
    blocks: true,
  },
  {
    zone: 'b.barracudacentral.org',
    name: 'Barracuda BRBL',
    kind: 'ip',
    codes: { '127.0.0.2': 'Barracuda reputation block' },
    delistUrl: 'https://www.barracudacentral.org/rbl/removal-request',
    blocks: true,
  },
  {
    zone: 'dnsbl-1.uceprotect.net',
    name: 'UCEPROTECT level 1',
    kind: 'ip',
    codes: { '127.0.0.2': 'this IP sent spam to UCEPROTECT traps' },
    delistUrl: 'https://www.uceprotect.net/en/rblcheck.php',
    blocks: false,
  },
  {
    zone: 'dnsbl-2.uceprotect.net',
    name: 'UCEPROTECT level 2',
    kind: 'ip',
    codes: { '127.0.0.2': 'the allocation around this IP holds too many spamming IPs' },
    delistUrl: 'https://www.uceprotect.net/en/rblcheck.php',
    blocks: false,
    ranges: true,
  },
  {
    zone: 'dnsbl-3.uceprotect.net',
    name: 'UCEPROTECT level 3',
    kind: 'ip',
    codes: { '127.0.0.2': 'the whole network (ASN) holds too many spamming IPs' },
    delistUrl: 'https://www.uceprotect.net/en/rblcheck.php',
    blocks: false,
    ranges: true,
  },
  {
    zone: 'psbl.surriel.com',
    name: 'PSBL',
    kind: 'ip',
    codes: { '127.0.0.2': 'hit spam traps (passive spam block list)' },
    delistUrl: 'https://psbl.org/',
    blocks: false,
  },
  {
    zone: 'bl.mailspike.net',
    name: 'Mailspike',
    kind: 'ip',
    codes: {
      '127.0.0.2': 'Mailspike blacklist',
      '127.0.0.10': 'worst reputation',
      '127.0.0.11': 'very bad reputation',
      '127.0.0.12': 'bad reputation',
      '127.0.0.13': 'suspicious reputation',
      '127.0.0.14': 'neutral, probably spam',
    },
    delistUrl: 'https://mailspike.org/anubis/lookup.html',
    blocks: false,
  },
  {
    zone: 'dbl.spamhaus.org',
    name: 'Spamhaus DBL',
    kind: 'domain',
    codes: {
      '127.0.1.2': 'spam domain',
      '127.0.1.4': 'phishing domain',
      '127.0.1.5': 'malware domain',
      '127.0.1.6': 'botnet C&C domain',
      '127.0.1.102': 'abused legit spam',
      '127.0.1.103': 'abused spammed redirector',
      '127.0.1.104': 'abused legit phish',
      '127.0.1.105': 'abused legit malware',
      '127.0.1.106': 'abused legit botnet C&C',
    },
    delistUrl: 'https://check.spamhaus.org/',
    blocks: true,
    spamhaus: true,
  },
  {
    zone: 'multi.surbl.org',
    name: 'SURBL',
    kind: 'domain',
    codes: {
      '127.0.0.8': 'phishing',
      '127.0.0.16': 'malware',
      '127.0.0.64': 'abuse (spam)',
      '127.0.0.128': 'cracked sites',
    },
    delistUrl: 'https://www.surbl.org/surbl-analysis',
    blocks: true,
  },
  {
    zone: 'multi.uribl.com',
    name: 'URIBL',
    kind: 'domain',
    codes: { '127.0.0.2': 'black', '127.0.0.4': 'grey', '127.0.0.8': 'red' },
    delistUrl: 'https://admin.uribl.com/',
    blocks: true,
  },
];

/** The default set for IP checks: every IP zone of the catalogue. */
export const DEFAULT_IP_ZONES = CATALOGUE.filter((z) => z.kind === 'ip').map((z) => z.zone);

export function zoneInfo(zone: string): ZoneInfo {
  const known = CATALOGUE.find((z) => z.zone === zone.toLowerCase());
  return known ?? { zone: zone.toLowerCase(), name: zone.toLowerCase(), kind: 'ip', codes: {}, blocks: false };
}

/** Spamhaus zones through a DQS key: `<key>.zen.dq.spamhaus.net`. */
export function queryZone(info: ZoneInfo, dqsKey: string | undefined): string {
  if (!info.spamhaus || !dqsKey) return info.zone;
  return `${dqsKey}.${info.zone.replace(/\.spamhaus\.org$/, '')}.dq.spamhaus.net`;
}

export type AnswerVerdict =
  | { status: 'listed'; codes: string[]; meanings: string[] }
  | { status: 'clean' }
  | { status: 'error'; codes: string[]; reason: string };

/**
 * What a DNSBL's A answers mean (RFC 5782): none is clean; 127.255.255.0/24 and 127.0.1.255 are
 * the list telling us our query is refused (public resolver, rate limit, no DQS access) and are
 * never a listing; anything outside 127.0.0.0/8 is a broken or wildcard zone, also an error.
 */
export function readAnswer(info: ZoneInfo, addresses: readonly string[]): AnswerVerdict {
  if (addresses.length === 0) return { status: 'clean' };
  const errors = addresses.filter(
    (a) => a.startsWith('127.255.255.') || (a === '127.0.1.255' && info.kind === 'ip') || !a.startsWith('127.'),
  );
  if (errors.length > 0) {
    const reason = errors.some((a) => !a.startsWith('127.'))
      ? `answer ${errors.join(', ')} is outside 127.0.0.0/8: the zone is broken or wildcarded`
      : `answer ${errors.join(', ')} means the query was refused (a public or shared resolver, a rate limit, or a DQS key is needed)`;
    return { status: 'error', codes: errors, reason };
  }
  const meanings = addresses.map((a) => info.codes[a] ?? `listed in ${info.name} (${a})`);
  return { status: 'listed', codes: [...addresses].sort(), meanings };
}
