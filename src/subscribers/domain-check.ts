import { Resolver } from 'node:dns/promises';
import { systemClock } from '../shared/clock.js';

/** What DNS says about a signup domain's ability to receive mail. */
export type DomainVerdict =
  | { status: 'deliverable'; via: 'mx' | 'a' | 'aaaa' }
  | { status: 'undeliverable'; reason: string }
  /** DNS could not answer (timeout, SERVFAIL, refused): accept the signup and note it. */
  | { status: 'unverified'; reason: string }
  | { status: 'skipped' };

export interface DomainVerifier {
  check(domain: string): Promise<DomainVerdict>;
}

export interface DomainVerifierOptions {
  /** `host:port` entries; empty means the system resolver. */
  servers: readonly string[];
  timeoutMs?: number;
  tries?: number;
  cacheSize?: number;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
}

const ABSENT = new Set(['ENODATA', 'ENOTFOUND']);

/** A verifier that always answers `skipped` (LISTWARDEN_VERIFY_DOMAINS=false). */
export const skipDomainChecks: DomainVerifier = { check: async () => ({ status: 'skipped' }) };

/**
 * Checks that a domain can receive mail: an MX record (not a null MX), or else an A/AAAA record
 * (RFC 5321 5.1 implicit MX). NXDOMAIN or no records rejects; DNS failure does not.
 */
export function createDomainVerifier(options: DomainVerifierOptions): DomainVerifier {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  const cacheSize = options.cacheSize ?? 10_000;
  const positiveTtl = options.positiveTtlMs ?? 3_600_000;
  const negativeTtl = options.negativeTtlMs ?? 300_000;
  const cache = new Map<string, { verdict: DomainVerdict; expires: number }>();
  const inFlight = new Map<string, Promise<DomainVerdict>>();

  async function lookup(domain: string): Promise<DomainVerdict> {
    try {
      const mx = await resolver.resolveMx(domain);
      if (mx.length > 0) {
        // RFC 7505: a single MX of "." says the domain accepts no mail at all.
        if (mx.every((r) => r.exchange === '' || r.exchange === '.')) {
          return { status: 'undeliverable', reason: `${domain} says it does not accept email (null MX).` };
        }
        return { status: 'deliverable', via: 'mx' };
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      if (code === 'ENOTFOUND') return { status: 'undeliverable', reason: `The domain ${domain} does not exist.` };
      if (!ABSENT.has(code)) return { status: 'unverified', reason: `MX lookup failed: ${code}` };
    }
    const [a, aaaa] = await Promise.allSettled([resolver.resolve4(domain), resolver.resolve6(domain)]);
    if (a.status === 'fulfilled' && a.value.length > 0) return { status: 'deliverable', via: 'a' };
    if (aaaa.status === 'fulfilled' && aaaa.value.length > 0) return { status: 'deliverable', via: 'aaaa' };
    const failures = [a, aaaa]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason as NodeJS.ErrnoException).code ?? 'unknown')
      .filter((code) => !ABSENT.has(code));
    if (failures.length > 0) return { status: 'unverified', reason: `address lookup failed: ${failures[0]}` };
    return { status: 'undeliverable', reason: `The domain ${domain} has no mail server.` };
  }

  function remember(domain: string, verdict: DomainVerdict): void {
    const ttl = verdict.status === 'deliverable' ? positiveTtl : verdict.status === 'undeliverable' ? negativeTtl : 0;
    if (ttl === 0) return;
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(domain, { verdict, expires: systemClock.now() + ttl });
  }

  return {
    async check(domain) {
      const cached = cache.get(domain);
      if (cached && cached.expires > systemClock.now()) return cached.verdict;
      const pending = inFlight.get(domain);
      if (pending) return pending;
      const promise = lookup(domain).then((verdict) => {
        remember(domain, verdict);
        return verdict;
      });
      inFlight.set(domain, promise);
      try {
        return await promise;
      } finally {
        inFlight.delete(domain);
      }
    },
  };
}
