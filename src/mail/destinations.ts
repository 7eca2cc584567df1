import { Resolver } from 'node:dns/promises';
import { systemClock } from '../shared/clock.js';

/**
 * The destination a recipient's mail goes to: the lowest-preference MX host of its domain,
 * looked up in the background and cached; until the answer is there (or when DNS cannot
 * answer) the domain itself stands in.
 */
export function createDestinationResolver(options: {
  servers: readonly string[];
  timeoutMs: number;
  ttlMs?: number;
}): (address: string) => string {
  const resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  const ttl = options.ttlMs ?? 3_600_000;
  const cache = new Map<string, { host: string; expires: number }>();
  const pending = new Set<string>();

  function lookup(domain: string): void {
    if (pending.has(domain) || pending.size > 100) return;
    pending.add(domain);
    resolver
      .resolveMx(domain)
      .then((records) => {
        const best = records.filter((r) => r.exchange).sort((a, b) => a.priority - b.priority)[0];
        if (cache.size > 100_000) cache.clear();
        cache.set(domain, { host: best ? best.exchange.toLowerCase() : domain, expires: systemClock.now() + ttl });
      })
      .catch(() => cache.set(domain, { host: domain, expires: systemClock.now() + 300_000 }))
      .finally(() => pending.delete(domain));
  }

  return (address) => {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const known = cache.get(domain);
    if (known && known.expires > systemClock.now()) return known.host;
    lookup(domain);
    return known?.host ?? domain;
  };
}
