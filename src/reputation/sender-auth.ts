import { Resolver } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import getDmarcRecord from 'mailauth/lib/dmarc/get-dmarc-record.js';
import { spf } from 'mailauth/lib/spf/index.js';
import {
  alignmentVerdict,
  dkimVerdict,
  noDkimKey,
  type OurDkimKey,
  dmarcVerdict,
  readiness,
  spfVerdict,
  type AuthCheck,
  type Readiness,
} from './sender-auth-rules.js';

export interface DomainCheckResult {
  domain: string;
  ip: string;
  checks: AuthCheck[];
  readiness: Readiness[];
}

const notFound = (error: unknown) => ['ENOTFOUND', 'ENODATA'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * Sender authentication of a domain and sending IP, the way Gmail, Yahoo and Microsoft look at
 * it: SPF (full evaluation with mailauth, lookup limit), our DKIM key published, DMARC and
 * alignment, PTR and forward-confirmed reverse DNS, MX.
 */
export async function checkSenderDomain(input: {
  domain: string;
  ip: string;
  /** Our keys for this domain (every status); none means mail would go unsigned. */
  dkim: readonly OurDkimKey[];
  returnPathDomain: string;
  servers: readonly string[];
  timeoutMs: number;
}): Promise<DomainCheckResult> {
  const resolver = new Resolver({ timeout: input.timeoutMs, tries: 2 });
  if (input.servers.length > 0) resolver.setServers([...input.servers]);
  const resolve = (name: string, type: string) => resolver.resolve(name, type as 'TXT');
  const { domain, ip } = input;
  const checks: AuthCheck[] = [];

  const spfResult = await spf({
    sender: `postmaster@${input.returnPathDomain}`,
    ip,
    helo: domain,
    mta: 'listwarden',
    resolver: resolve,
  });
  checks.push(
    spfVerdict(spfResult.status.result, spfResult.status.comment, ip, input.returnPathDomain, spfResult.lookups),
  );

  for (const key of input.dkim) {
    let published: string | undefined;
    try {
      published = (await resolver.resolveTxt(`${key.selector}._domainkey.${key.domain}`))
        .map((chunks) => chunks.join(''))
        .find((t) => /p=/.test(t));
    } catch (error) {
      if (!notFound(error)) throw error;
    }
    checks.push(dkimVerdict(key, published));
  }
  const signing = input.dkim.find((k) => k.status === 'active');
  if (!signing) checks.push(noDkimKey(domain));

  checks.push(dmarcVerdict(domain, await getDmarcRecord(domain, resolve)));
  checks.push(alignmentVerdict(domain, signing?.domain, input.returnPathDomain));

  let names: string[] = [];
  try {
    names = await resolver.reverse(ip);
  } catch (error) {
    if (!notFound(error)) throw error;
  }
  if (names.length === 0) {
    checks.push({
      id: 'ptr',
      status: 'fail',
      detail: `${ip} has no PTR record`,
      fix: `ask the provider of ${ip} to set its PTR to mail.${domain}`,
      record: { type: 'PTR', name: ip, value: `mail.${domain}` },
    });
    checks.push({
      id: 'fcrdns',
      status: 'fail',
      detail: 'no PTR, so no forward-confirmed reverse DNS',
      fix: `set the PTR of ${ip} to a name whose ${isIPv4(ip) ? 'A' : 'AAAA'} record is ${ip}`,
    });
  } else {
    checks.push({ id: 'ptr', status: 'pass', detail: `${ip} points back to ${names.join(', ')}` });
    const confirmed: string[] = [];
    for (const name of names.slice(0, 5)) {
      try {
        const addresses = isIPv4(ip) ? await resolver.resolve4(name) : await resolver.resolve6(name);
        if (addresses.includes(ip)) confirmed.push(name);
      } catch (error) {
        if (!notFound(error)) throw error;
      }
    }
    checks.push(
      confirmed.length > 0
        ? { id: 'fcrdns', status: 'pass', detail: `${confirmed[0]} resolves back to ${ip}` }
        : {
            id: 'fcrdns',
            status: 'fail',
            detail: `${names.join(', ')} does not resolve back to ${ip}`,
            fix: `publish ${isIPv4(ip) ? 'A' : 'AAAA'} ${names[0]} → ${ip}`,
            record: { type: isIPv4(ip) ? 'A' : 'AAAA', name: names[0] ?? domain, value: ip },
          },
    );
  }

  try {
    const mx = await resolver.resolveMx(domain);
    checks.push(
      mx.length > 0
        ? { id: 'mx', status: 'pass', detail: `MX ${mx.map((m) => m.exchange).join(', ')}` }
        : {
            id: 'mx',
            status: 'warn',
            detail: `${domain} has no MX`,
            fix: `publish an MX for ${domain}: replies and bounces to the From domain must be deliverable`,
          },
    );
  } catch (error) {
    if (!notFound(error)) throw error;
    checks.push({
      id: 'mx',
      status: 'warn',
      detail: `${domain} has no MX`,
      fix: `publish an MX for ${domain}: replies to the From domain must be deliverable`,
    });
  }

  return { domain, ip, checks, readiness: readiness(checks) };
}
