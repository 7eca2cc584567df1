import { Resolver } from 'node:dns/promises';
import { systemClock } from '../shared/clock.js';

/** What DNS says about a signup domain's ability to receive mail. */
export type DomainVerdict =
  | { status: 'deliverable'; via: 'mx' | 'a' | 'aaaa' | 'provider' }
  | { status: 'undeliverable'; reason: string }
  /** DNS could not answer (timeout, SERVFAIL, refused): accept the signup and note it. */
  | { status: 'unverified'; reason: string }
  | { status: 'skipped' };

export interface DomainVerifier {
  check(domain: string): Promise<DomainVerdict>;
  /** Asks the canary domains now (at start); `check` also does every few minutes. */
  canary?(): Promise<boolean>;
}

export interface DomainVerifierOptions {
  /** `host:port` entries; empty means the system resolver. */
  servers: readonly string[];
  timeoutMs?: number;
  tries?: number;
  cacheSize?: number;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** How often the canary lookup runs (default 5 minutes). */
  canaryIntervalMs?: number;
  /** Told once per episode when the resolver denies every big provider, and when it recovers. */
  onResolverState?: (healthy: boolean, message: string) => void;
}

/**
 * The big mailbox providers: never refused by the domain check (a resolver that denies them is
 * broken, not they), and the canaries that tell a working resolver from one that denies the internet.
 */
const BIG_PROVIDERS = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  't-online.de',
  'orange.fr',
  'free.fr',
  'comcast.net',
  'yandex.ru',
  'mail.ru',
]);
const CANARIES = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'gmx.de'];

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

  // The canary: when the resolver says none of the big providers exists, it cannot answer for the
  // internet (a captive or broken resolver); then "does not exist" means nothing and no signup is refused.
  const canaryInterval = options.canaryIntervalMs ?? 5 * 60_000;
  let resolverHealthy = true;
  let canaryAt = -Infinity;
  let canaryRun: Promise<boolean> | undefined;

  async function runCanary(): Promise<boolean> {
    const answers = await Promise.allSettled(CANARIES.map((domain) => resolver.resolveMx(domain)));
    const healthy = answers.some((a) => a.status === 'fulfilled' && a.value.length > 0);
    canaryAt = systemClock.now();
    if (healthy !== resolverHealthy) {
      resolverHealthy = healthy;
      options.onResolverState?.(
        healthy,
        healthy
          ? 'The DNS resolver answers again: signup domains are checked again.'
          : `The DNS resolver${options.servers.length > 0 ? ` (${options.servers.join(', ')})` : ''} finds no mail server for ${CANARIES.join(', ')}, so it cannot answer for the internet. Signups are accepted and noted as unverified until it answers; fix the resolver or set LISTWARDEN_DNS_SERVERS to one that works.`,
      );
    }
    return healthy;
  }

  function canary(): Promise<boolean> {
    canaryRun ??= runCanary().finally(() => (canaryRun = undefined));
    return canaryRun;
  }

  async function lookup(domain: string): Promise<DomainVerdict> {
    if (BIG_PROVIDERS.has(domain)) return { status: 'deliverable', via: 'provider' };
    if (systemClock.now() - canaryAt > canaryInterval) await canary();
    const verdict = await resolve(domain);
    // A resolver that denies the big providers says nothing about this domain either.
    if (verdict.status === 'undeliverable' && !resolverHealthy) {
      return { status: 'unverified', reason: 'DNS cannot answer (the resolver denies the big mail providers too)' };
    }
    return verdict;
  }

  async function resolve(domain: string): Promise<DomainVerdict> {
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
    canary,
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
