import { Resolver } from 'node:dns/promises';
import { dnsblName } from './ip-address.js';
import { queryZone, readAnswer, type ZoneInfo } from './zones.js';
import { systemClock } from '../shared/clock.js';

export interface DnsblOptions {
  /** `host:port` resolvers; empty means the system's. */
  servers: readonly string[];
  timeoutMs: number;
  /** Attempts per query (c-ares retries on timeout). */
  tries: number;
  /** Queries in flight at most. */
  concurrency: number;
  dqsKey: string | undefined;
}

export type Lookup =
  | { status: 'listed'; codes: string[]; meanings: string[]; reason: string | undefined }
  | { status: 'clean' }
  | { status: 'error'; reason: string };

export interface ZoneHealth {
  zone: string;
  status: 'ok' | 'unusable' | 'refused';
  detail: string;
}

/** The client the configuration describes, asking `servers` (a `--dns` override, or the configured ones). */
export function dnsblClientFor(
  config: { dnsTimeoutMs: number; reputation: { concurrency: number; dqsKey: string | undefined } },
  servers: readonly string[],
): DnsblClient {
  return new DnsblClient({
    servers,
    timeoutMs: config.dnsTimeoutMs,
    tries: 2,
    concurrency: config.reputation.concurrency,
    dqsKey: config.reputation.dqsKey,
  });
}

const NOT_LISTED = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * DNSBL lookups over a real resolver: a concurrency limit, a cache that keeps each answer for its
 * TTL, timeouts and retries, TXT reasons for listings. Never calls a refused query a listing.
 */
export class DnsblClient {
  private readonly resolver: Resolver;
  private readonly cache = new Map<string, { expires: number; value: Lookup }>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most queries that were ever in flight at once (the benchmark checks the limit holds). */
  peakInFlight = 0;
  queries = 0;

  constructor(private readonly options: DnsblOptions) {
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: options.tries });
    if (options.servers.length > 0) this.resolver.setServers([...options.servers]);
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    this.peakInFlight = Math.max(this.peakInFlight, this.active);
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /** Looks `name` (an IP, or a domain for domain zones) up in one zone. */
  async lookup(name: string, info: ZoneInfo): Promise<Lookup> {
    const zone = queryZone(info, this.options.dqsKey);
    const query = info.kind === 'domain' ? `${name.toLowerCase().replace(/\.$/, '')}.${zone}` : dnsblName(name, zone);
    const cached = this.cache.get(query);
    if (cached && cached.expires > systemClock.now()) return cached.value;
    const { value, ttl } = await this.slot(() => this.query(query, info));
    if (this.cache.size > 200_000) this.cache.clear();
    this.cache.set(query, { expires: systemClock.now() + Math.min(ttl, 3600) * 1000, value });
    return value;
  }

  private async query(query: string, info: ZoneInfo): Promise<{ value: Lookup; ttl: number }> {
    this.queries++;
    let answers: Array<{ address: string; ttl: number }>;
    try {
      answers = await this.resolver.resolve4(query, { ttl: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      if (NOT_LISTED.has(code)) return { value: { status: 'clean' }, ttl: 300 };
      // Errors are not cached for long: the next check asks again.
      return { value: { status: 'error', reason: `${info.zone}: DNS ${code}` }, ttl: 30 };
    }
    const ttl = Math.max(1, Math.min(...answers.map((a) => a.ttl)));
    const verdict = readAnswer(
      info,
      answers.map((a) => a.address),
    );
    if (verdict.status === 'clean') return { value: { status: 'clean' }, ttl };
    if (verdict.status === 'error')
      return { value: { status: 'error', reason: `${info.zone}: ${verdict.reason}` }, ttl: 30 };
    let reason: string | undefined;
    try {
      reason =
        (await this.resolver.resolveTxt(query))
          .map((chunks) => chunks.join(''))
          .join(' ')
          .slice(0, 500) || undefined;
    } catch {
      reason = undefined;
    }
    return { value: { status: 'listed', codes: verdict.codes, meanings: verdict.meanings, reason }, ttl };
  }

  /**
   * RFC 5782 §5: a zone must list its test entry (127.0.0.2, or the name `test`) and must not list
   * 127.0.0.1 (or `invalid`); a zone that fails is dead, wildcarded or refusing us, and its
   * answers are not trusted.
   */
  async probe(info: ZoneInfo): Promise<ZoneHealth> {
    const [positive, negative] = info.kind === 'domain' ? ['test', 'invalid'] : ['127.0.0.2', '127.0.0.1'];
    let [listed, clean] = await Promise.all([this.lookup(positive, info), this.lookup(negative, info)]);
    if (info.kind === 'ip' && listed.status === 'clean') {
      // An IPv6-only zone carries the IPv6 test entries instead (RFC 5782 §5: ::FFFF:7F00:2, ::FFFF:7F00:1).
      [listed, clean] = await Promise.all([this.lookup('::ffff:7f00:2', info), this.lookup('::ffff:7f00:1', info)]);
    }
    if (listed.status === 'error') return { zone: info.zone, status: 'refused', detail: listed.reason };
    if (clean.status === 'error') return { zone: info.zone, status: 'refused', detail: clean.reason };
    if (listed.status !== 'listed')
      return {
        zone: info.zone,
        status: 'unusable',
        detail: `the test entry ${positive} is not listed: the zone is down, moved or not answering this resolver`,
      };
    if (clean.status !== 'clean')
      return {
        zone: info.zone,
        status: 'unusable',
        detail: `${negative} is listed: the zone lists everything (wildcard), its answers mean nothing`,
      };
    return { zone: info.zone, status: 'ok', detail: 'test entries answer as RFC 5782 requires' };
  }
}
