import { AppError } from '../shared/app-error.js';
import { DNS_NAME } from '../shared/dns-names.js';
import { ipVersion } from './ip-address.js';
import { CATALOGUE, DEFAULT_IP_ZONES, zoneInfo, type ZoneInfo } from './zones.js';

/** Validates what a person typed for a check: the IP, the range, the zones. Pure. */
export function parseCheckInput(input: { ip: string; range?: string | number; zones?: string | readonly string[] }): {
  ip: string;
  range: number;
  zones: ZoneInfo[];
} {
  const ip = input.ip.trim();
  if (!ipVersion(ip)) throw new AppError('invalid_input', `"${ip.slice(0, 60)}" is not an IP address.`);
  const range = input.range === undefined ? 24 : Number(String(input.range).replace(/^\//, ''));
  if (!Number.isInteger(range) || range < 16 || range > 32)
    throw new AppError(
      'invalid_input',
      'The range must be a prefix length from 16 to 32, e.g. 24 for the /24 around the IP.',
    );
  const names = typeof input.zones === 'string' ? input.zones.split(',') : (input.zones ?? DEFAULT_IP_ZONES);
  const zones = names.map((z) => z.trim().toLowerCase()).filter(Boolean);
  for (const zone of zones) {
    if (!DNS_NAME.test(zone)) throw new AppError('invalid_input', `"${zone.slice(0, 60)}" is not a DNS zone name.`);
    if (CATALOGUE.some((c) => c.zone === zone && c.kind === 'domain'))
      throw new AppError('invalid_input', `${zone} lists domains, not IP addresses.`);
  }
  if (zones.length === 0) throw new AppError('invalid_input', 'Name at least one zone.');
  return { ip, range, zones: zones.map(zoneInfo) };
}
