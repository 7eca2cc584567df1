import { type DnsblClient, type ZoneHealth } from './dnsbl-client.js';
import { ipv4Range, ipVersion } from './ip-address.js';
import type { ZoneInfo } from './zones.js';
import { systemClock } from '../shared/clock.js';

export interface Listing {
  ip: string;
  zone: string;
  codes: string[];
  meanings: string[];
  reason: string | undefined;
  delistUrl: string | undefined;
}

export interface IpCheckResult {
  ip: string;
  range: number;
  checkedAt: string;
  addresses: number;
  zones: Array<ZoneHealth & { name: string; listed: number; blocks: boolean }>;
  listed: Listing[];
  errors: Array<{ ip?: string; zone: string; reason: string }>;
}

/** Every address against every zone that passed its RFC 5782 probe (a sweep). */
export async function checkAddresses(
  client: DnsblClient,
  addresses: readonly string[],
  zones: readonly ZoneInfo[],
): Promise<{ health: ZoneHealth[]; listed: Listing[]; errors: IpCheckResult['errors'] }> {
  const health = await Promise.all(zones.map((z) => client.probe(z)));
  const usable = zones.filter((_, i) => health[i]?.status === 'ok');
  const listed: Listing[] = [];
  const errors: IpCheckResult['errors'] = health
    .filter((h) => h.status !== 'ok')
    .map((h) => ({ zone: h.zone, reason: h.detail }));
  // In slices, so a large sweep holds a bounded number of pending lookups; the client's
  // concurrency limit paces the queries within a slice.
  const SLICE = 512;
  for (let i = 0; i < addresses.length; i += SLICE) {
    await Promise.all(
      addresses.slice(i, i + SLICE).flatMap((address) =>
        usable.map(async (zone) => {
          const result = await client.lookup(address, zone);
          if (result.status === 'listed') {
            listed.push({
              ip: address,
              zone: zone.zone,
              codes: result.codes,
              meanings: result.meanings,
              reason: result.reason,
              delistUrl: zone.delistUrl,
            });
          } else if (result.status === 'error') {
            errors.push({ ip: address, zone: zone.zone, reason: result.reason });
          }
        }),
      ),
    );
  }
  return { health, listed, errors };
}

/**
 * Checks an IP and its neighbourhood: every address of its /`range` (IPv4; an IPv6 address is
 * checked alone) against every zone that passed its RFC 5782 probe.
 */
export async function checkIpRange(
  client: DnsblClient,
  input: { ip: string; range: number; zones: readonly ZoneInfo[] },
): Promise<IpCheckResult> {
  const version = ipVersion(input.ip);
  if (!version) throw new RangeError(`${input.ip} is not an IP address`);
  const addresses = version === 4 ? ipv4Range(input.ip, input.range) : [input.ip];
  const zones = input.zones.filter((z) => z.kind === 'ip');
  const { health, listed, errors } = await checkAddresses(client, addresses, zones);
  const order = new Map(addresses.map((a, i) => [a, i]));
  listed.sort((a, b) => (order.get(a.ip) ?? 0) - (order.get(b.ip) ?? 0) || a.zone.localeCompare(b.zone));
  return {
    ip: input.ip,
    range: version === 4 ? input.range : 128,
    checkedAt: new Date(systemClock.now()).toISOString(),
    addresses: addresses.length,
    zones: zones.map((z, i) => ({
      ...(health[i] as ZoneHealth),
      name: z.name,
      blocks: z.blocks,
      listed: new Set(listed.filter((l) => l.zone === z.zone).map((l) => l.ip)).size,
    })),
    listed,
    errors,
  };
}
