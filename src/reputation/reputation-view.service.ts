import { AppError } from '../shared/app-error.js';
import type { Database } from '../db/database.js';
import type { Listing } from './check-ip.js';
import { describeChange, type ReputationChange } from './monitor-rules.js';
import { neighbourhoodGrid } from './neighbourhood-map.js';
import { checkHistory, latestCheckRow } from './reputation.repo.js';
import type { DnsRecordToPublish, OurDkimKey } from './sender-auth-rules.js';
import { checkSenderDomain, type DomainCheckResult } from './sender-auth.js';

/** What a stored check's `result` holds (written by monitor.service.ts). */
interface StoredResult {
  zones: Array<{ zone: string; name?: string; status: string; detail?: string; listed?: number; blocks?: boolean }>;
  listed: Listing[];
  errors: Array<{ ip?: string; zone: string; reason: string }>;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return (JSON.parse(text) as T) ?? fallback;
  } catch {
    return fallback;
  }
}

function storedResult(text: string): StoredResult {
  const value = parseJson<Partial<StoredResult>>(text, {});
  return {
    zones: Array.isArray(value.zones) ? value.zones : [],
    listed: Array.isArray(value.listed) ? value.listed : [],
    errors: Array.isArray(value.errors) ? value.errors : [],
  };
}

/** The DNS error codes of node:dns in words. */
const DNS_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'the resolver refused the connection',
  ETIMEOUT: 'the resolver did not answer in time',
  ESERVFAIL: 'the resolver answered with a server failure',
  EREFUSED: 'the resolver refused the query',
  ECANCELLED: 'the query was cancelled',
};

export interface DomainCheckView extends DomainCheckResult {
  /** Every record a check asks for, and the records of our DKIM keys. */
  records: Array<DnsRecordToPublish & { why: string }>;
}

/**
 * The reputation page's reading: the latest blocklist check of each watched IP as the map of its
 * /24, the history of checks, and the sending domain's checklist (live DNS, only on request, with
 * a deadline).
 */
export function createReputationView(deps: {
  database: Database;
  sendingIps: () => readonly string[];
  dnsServers: () => readonly string[];
  dnsTimeoutMs: () => number;
  bounceDomain: () => string | undefined;
  /** Our DKIM keys of a domain (every status). */
  dkimKeys: (domain: string) => Promise<OurDkimKey[]>;
  /** The whole domain check gives up after this long. */
  deadlineMs?: number;
}) {
  const { db } = deps.database;

  async function latest(ip: string) {
    const row = await latestCheckRow(db, ip);
    if (!row) return { ip, checked: false as const };
    const result = storedResult(row.result);
    const ours = new Set([...deps.sendingIps(), ip]);
    const grid = neighbourhoodGrid({ ip, range: Number(row.range), ...result }, ours);
    const listed = result.listed.map((l) => ({
      ip: l.ip,
      zone: l.zone,
      meaning: l.meanings.join('; '),
      reason: l.reason,
      delistUrl: l.delistUrl,
      ours: ours.has(l.ip),
    }));
    return {
      ip,
      checked: true as const,
      at: new Date(Number(row.at)).toISOString(),
      range: Number(row.range),
      base: grid?.[0]?.[0]?.ip.split('.').slice(0, 3).join('.'),
      grid,
      zones: result.zones.map((z) => ({
        zone: z.zone,
        name: z.name ?? z.zone,
        status: z.status,
        detail: z.detail ?? '',
        listed: z.listed ?? 0,
        blocks: z.blocks === true,
      })),
      nothingChecked: !result.zones.some((z) => z.status === 'ok'),
      selfListed: parseJson<string[]>(row.self_listed, []),
      neighboursListed: Number(row.neighbours_listed),
      listed,
      errors: result.errors.length,
    };
  }

  return {
    /** The latest check of each watched IP (in the order of the setting). */
    async watched() {
      return Promise.all(deps.sendingIps().map((ip) => latest(ip)));
    },

    async history(options: { limit?: number; before?: number } = {}) {
      const limit = options.limit ?? 30;
      const rows = await checkHistory(db, { limit: limit + 1, ...(options.before ? { before: options.before } : {}) });
      const checks = rows.slice(0, limit).map((r) => ({
        id: Number(r.id),
        at: new Date(Number(r.at)).toISOString(),
        ip: r.ip,
        range: Number(r.range),
        selfListed: parseJson<string[]>(r.self_listed, []),
        neighboursListed: Number(r.neighbours_listed),
        changes: parseJson<ReputationChange[]>(r.changes, []).map(describeChange),
      }));
      return { checks, next: rows.length > limit ? (checks[checks.length - 1]?.id ?? null) : null };
    },

    /** The domain the form offers first: the bounce domain. */
    defaultDomain(): string | undefined {
      return deps.bounceDomain();
    },

    /**
     * SPF, DKIM, DMARC, alignment, PTR/FCrDNS and MX of `domain` for mail from `ip`, asked of the
     * configured resolvers; a DNS failure or the deadline is one sentence (`unavailable`).
     */
    async checkDomain(domain: string, ip: string): Promise<DomainCheckView> {
      const keys = await deps.dkimKeys(domain);
      const deadlineMs = deps.deadlineMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AppError(
                'unavailable',
                `The DNS check of ${domain} did not finish within ${deadlineMs / 1000} seconds; the resolver may be slow or unreachable. Try again later.`,
              ),
            ),
          deadlineMs,
        );
      });
      try {
        const result = await Promise.race([
          checkSenderDomain({
            domain,
            ip,
            dkim: keys,
            returnPathDomain: deps.bounceDomain() ?? domain,
            servers: deps.dnsServers(),
            timeoutMs: deps.dnsTimeoutMs(),
          }),
          deadline,
        ]);
        const records = result.checks.flatMap((c) =>
          c.record && c.status !== 'pass' ? [{ ...c.record, why: `${c.id.toUpperCase()}: ${c.detail}` }] : [],
        );
        for (const k of keys) {
          const name = `${k.selector}._domainkey.${k.domain}`;
          if (records.some((r) => r.name === name)) continue;
          records.push({
            type: 'TXT',
            name,
            value: `v=DKIM1; k=${k.algorithm}; p=${k.publicKey}`,
            why: `DKIM key ${k.selector} (${k.status}): keep it published`,
          });
        }
        return { ...result, records };
      } catch (error) {
        if (error instanceof AppError) throw error;
        const code = (error as NodeJS.ErrnoException).code ?? '';
        const servers = deps.dnsServers();
        throw new AppError(
          'unavailable',
          `The DNS check of ${domain} failed: ${DNS_ERRORS[code] ?? `the lookup failed (${code || 'unknown error'})`}${servers.length > 0 ? ` (resolvers ${servers.join(', ')})` : ''}. Check LISTWARDEN_DNS_SERVERS and try again.`,
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type ReputationView = ReturnType<typeof createReputationView>;
