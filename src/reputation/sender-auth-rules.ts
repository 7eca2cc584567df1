/**
 * What bulk senders must have in place for Gmail, Yahoo and Microsoft (2024/2025 rules), as
 * pure verdicts over what DNS answered. Each check has a stable id, a status and a fix.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface AuthCheck {
  id: 'spf' | 'dkim' | 'dmarc' | 'alignment' | 'ptr' | 'fcrdns' | 'mx';
  status: CheckStatus;
  detail: string;
  fix?: string;
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
    const missing = REQUIRED[provider].filter((id) => checks.find((c) => c.id === id)?.status === 'fail');
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

/** Compares the `p=` of a published DKIM record with our public key. */
export function dkimVerdict(input: {
  domain: string;
  selector: string;
  published: string | undefined;
  ours: string | undefined;
}): AuthCheck {
  const name = `${input.selector}._domainkey.${input.domain}`;
  if (!input.ours)
    return {
      id: 'dkim',
      status: 'warn',
      detail: 'no DKIM key is configured, so mail goes out unsigned',
      fix: 'set LISTWARDEN_DKIM_DOMAIN, LISTWARDEN_DKIM_SELECTOR and LISTWARDEN_DKIM_KEY_FILE',
    };
  if (input.published === undefined)
    return {
      id: 'dkim',
      status: 'fail',
      detail: `no DKIM record at ${name}`,
      fix: `publish TXT at ${name}: "v=DKIM1; k=rsa; p=${input.ours}"`,
    };
  const p = /(?:^|;)\s*p=([^;]*)/.exec(input.published)?.[1]?.replace(/\s+/g, '');
  if (!p)
    return {
      id: 'dkim',
      status: 'fail',
      detail: `the DKIM record at ${name} has no key (p= is empty: revoked)`,
      fix: `publish "v=DKIM1; k=rsa; p=${input.ours}"`,
    };
  if (p !== input.ours)
    return {
      id: 'dkim',
      status: 'fail',
      detail: `the key published at ${name} is not the key Listwarden signs with`,
      fix: `replace it with "v=DKIM1; k=rsa; p=${input.ours}"`,
    };
  return { id: 'dkim', status: 'pass', detail: `${name} publishes the key Listwarden signs with` };
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
  const fix = `publish TXT at _dmarc.${domain}: "v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}" (then move to p=quarantine)`;
  if (!record) return { id: 'dmarc', status: 'fail', detail: `${domain} publishes no DMARC record`, fix };
  const policy = (typeof record.p === 'string' ? record.p : '').toLowerCase();
  if (!['none', 'quarantine', 'reject'].includes(policy))
    return {
      id: 'dmarc',
      status: 'fail',
      detail: `the DMARC record of ${domain} has no valid p= policy: ${record.rr}`,
      fix,
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
    fix: `sign with LISTWARDEN_DKIM_DOMAIN=${fromDomain} or use a bounce domain under ${org}`,
  };
}
