import { readFileSync } from 'node:fs';
import { isPublicResolver } from './ip-address.js';

/** The resolvers DNSBL queries will use: the configured ones, else the system's (/etc/resolv.conf). */
export function resolversInUse(configured: readonly string[]): string[] {
  if (configured.length > 0) return [...configured];
  try {
    return [...readFileSync('/etc/resolv.conf', 'utf8').matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1] as string);
  } catch {
    return [];
  }
}

/** A warning when a public resolver would answer DNSBL queries (Spamhaus refuses them), or undefined. */
export function publicResolverWarning(configured: readonly string[]): string | undefined {
  const public_ = resolversInUse(configured).filter(isPublicResolver);
  return public_.length > 0
    ? `${public_.join(', ')} is a public resolver: Spamhaus and others refuse or mislead its queries. Use your own resolver (LISTWARDEN_DNS_SERVERS) or a Spamhaus DQS key.`
    : undefined;
}
