/**
 * What bulk senders must have in place for Gmail, Yahoo and Microsoft (2024/2025 rules), as
 * pure verdicts over what DNS answered. Each check has a stable id, a status and a fix.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** A DNS record to publish, exactly: where, which type, what text. */
export interface DnsRecordToPublish {
  type: 'TXT' | 'A' | 'AAAA' | 'PTR';
  name: string;
  value: string;
}

export interface AuthCheck {
  id: 'spf' | 'dkim' | 'dmarc' | 'alignment' | 'ptr' | 'fcrdns' | 'mx';
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** The record that fixes it, when one record does. */
  record?: DnsRecordToPublish;
}

export interface Readiness {
  provider: 'Gmail' | 'Yahoo' | 'Microsoft';
  ready: boolean;
  missing: string[];
}

/** Which checks each provider's bulk-sender rules need to pass. */
const REQUIRED: Record<Readiness['provider'], AuthCheck['id'][]> = {
  Gmail: ['spf', 'dkim', 'dmarc', 'alignment', 'ptr', 'fcrdns'],
  Yahoo: ['spf', 'dkim', 'dmarc', 'alignment', 'fcrdns'],
  Microsoft: ['spf', 'dkim', 'dmarc', 'alignment'],
};

export function readiness(checks: readonly AuthCheck[]): Readiness[] {
  return (Object.keys(REQUIRED) as Array<Readiness['provider']>).map((provider) => {
    const missing = REQUIRED[provider].filter((id) => checks.some((c) => c.id === id && c.status === 'fail'));
    return { provider, ready: missing.length === 0, missing };
  });
}

export function spfVerdict(
  result: string,
  comment: string | undefined,
  ip: string,
  domain: string,
  lookups?: { count: number; limit: number },
): AuthCheck {
  const addIp = `add "${ip.includes(':') ? 'ip6' : 'ip4'}:${ip}" before the "all" of the SPF record of ${domain}, e.g. "v=spf1 ${ip.includes(':') ? 'ip6' : 'ip4'}:${ip} ~all"`;
  const used = lookups ? ` (${lookups.count} of ${lookups.limit} DNS lookups)` : '';
  switch (result) {
    case 'pass':
      return { id: 'spf', status: 'pass', detail: `SPF of ${domain} authorises ${ip}${used}` };
    case 'softfail':
    case 'neutral':
      return {
        id: 'spf',
        status: 'warn',
        detail: `SPF of ${domain} does not authorise ${ip} (${result})${used}`,
        fix: addIp,
      };
    case 'none':
      return {
        id: 'spf',
        status: 'fail',
        detail: `${domain} publishes no SPF record`,
        fix: `publish TXT at ${domain}: "v=spf1 ${ip.includes(':') ? 'ip6' : 'ip4'}:${ip} ~all"`,
        record: { type: 'TXT', name: domain, value: `v=spf1 ${ip.includes(':') ? 'ip6' : 'ip4'}:${ip} ~all` },
      };
    case 'permerror':
      return {
        id: 'spf',
        status: 'fail',
        detail: `the SPF record of ${domain} is broken: ${comment ?? 'permanent error'}${used}`,
        fix: 'fix the syntax and keep the record under 10 DNS lookups (flatten includes)',
      };
    case 'temperror':
      return {
        id: 'spf',
        status: 'warn',
        detail: `SPF of ${domain} could not be evaluated now: ${comment ?? 'DNS error'}`,
      };
    default:
      return {
        id: 'spf',
        status: 'fail',
        detail: `SPF of ${domain} does not authorise ${ip} (${result})${used}`,
        fix: addIp,
      };
  }
}

/** One of our DKIM keys as `check-domain` compares it with DNS. */
export interface OurDkimKey {
  domain: string;
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  /** The `p=` value. */
  publicKey: string;
  status: 'pending' | 'active' | 'retired';
}

/** The check when no key signs mail from `domain`. */
export function noDkimKey(domain: string): AuthCheck {
  return {
    id: 'dkim',
    status: 'fail',
    detail: `no DKIM key signs mail from ${domain}, so it would go out unsigned`,
    fix: `listwarden dkim generate --domain ${domain}, then publish the record it prints`,
  };
}

/**
 * Compares the `p=` of a published DKIM record with one of our keys. A key that signs (active)
 * or still signs approved campaigns (retired) fails when DNS does not publish it; a pending key
 * only warns: it signs nothing until it is activated.
 */
export function dkimVerdict(key: OurDkimKey, published: string | undefined): AuthCheck {
  const name = `${key.selector}._domainkey.${key.domain}`;
  const text = `v=DKIM1; k=${key.algorithm}; p=${key.publicKey}`;
  const record = `"${text}"`;
  const publish = { type: 'TXT' as const, name, value: text };
  const missing = key.status === 'pending' ? 'warn' : 'fail';
  const role = key.status === 'pending' ? ' (pending: publish it before `dkim activate`)' : '';
  if (published === undefined)
    return {
      id: 'dkim',
      status: missing,
      detail: `no DKIM record at ${name}${role}`,
      fix: `publish TXT at ${name}: ${record}`,
      record: publish,
    };
  const p = /(?:^|;)\s*p=([^;]*)/.exec(published)?.[1]?.replace(/\s+/g, '');
  if (!p)
    return {
      id: 'dkim',
      status: missing,
      detail: `the DKIM record at ${name} has no key (p= is empty: revoked)${role}`,
      fix: `publish ${record}`,
      record: publish,
    };
  if (p !== key.publicKey)
    return {
      id: 'dkim',
      status: missing,
      detail: `the key published at ${name} is not the key Listwarden ${key.status === 'pending' ? 'will sign' : 'signs'} with${role}`,
      fix: `replace it with ${record}`,
      record: publish,
    };
  const what =
    key.status === 'pending'
      ? 'the pending key: `listwarden dkim activate` may switch to it'
      : key.status === 'retired'
        ? 'a retired key (keep it until campaigns approved with it have finished)'
        : 'the key Listwarden signs with';
  return { id: 'dkim', status: 'pass', detail: `${name} publishes ${what}` };
}

/** The organisational domain, good enough for relaxed alignment of shop domains (last two labels, three for known second-level suffixes). */
export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const secondLevel = /^(co|com|org|net|ac|gov|edu)\.[a-z]{2}$/.test(labels.slice(-2).join('.'));
  return labels.slice(secondLevel ? -3 : -2).join('.');
}

export function dmarcVerdict(
  domain: string,
  record: false | { rr: string; p?: unknown; isOrgRecord: boolean },
): AuthCheck {
  const text = `v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}`;
  const fix = `publish TXT at _dmarc.${domain}: "${text}" (then move to p=quarantine)`;
  const publish = { type: 'TXT' as const, name: `_dmarc.${domain}`, value: text };
  if (!record)
    return { id: 'dmarc', status: 'fail', detail: `${domain} publishes no DMARC record`, fix, record: publish };
  const policy = (typeof record.p === 'string' ? record.p : '').toLowerCase();
  if (!['none', 'quarantine', 'reject'].includes(policy))
    return {
      id: 'dmarc',
      status: 'fail',
      detail: `the DMARC record of ${domain} has no valid p= policy: ${record.rr}`,
      fix,
      record: publish,
    };
  return {
    id: 'dmarc',
    status: 'pass',
    detail: `DMARC p=${policy}${record.isOrgRecord ? ` (from the organisational domain)` : ''}: ${record.rr}`,
  };
}

export function alignmentVerdict(
  fromDomain: string,
  dkimDomain: string | undefined,
  returnPathDomain: string,
): AuthCheck {
  const org = organisationalDomain(fromDomain);
  const dkimAligned = dkimDomain !== undefined && organisationalDomain(dkimDomain) === org;
  const spfAligned = organisationalDomain(returnPathDomain) === org;
  if (dkimAligned && spfAligned)
    return {
      id: 'alignment',
      status: 'pass',
      detail: `DKIM d=${dkimDomain} and the return path ${returnPathDomain} align with From ${fromDomain}`,
    };
  if (dkimAligned || spfAligned) {
    return {
      id: 'alignment',
      status: 'pass',
      detail: `${dkimAligned ? `DKIM d=${dkimDomain}` : `the return path ${returnPathDomain}`} aligns with From ${fromDomain}; DMARC needs one`,
    };
  }
  return {
    id: 'alignment',
    status: 'fail',
    detail: `neither DKIM (${dkimDomain ?? 'unsigned'}) nor the return path (${returnPathDomain}) aligns with From ${fromDomain}: DMARC fails`,
    fix: `listwarden dkim generate --domain ${fromDomain}, or use a bounce domain under ${org}`,
  };
}
