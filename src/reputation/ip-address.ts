import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses as DNSBLs need them (RFC 5782 §2.1 reversed octets, §2.4 IPv6 nibbles) and
 * neighbourhoods as numbers. Pure.
 */
export type IpVersion = 4 | 6;

export function ipVersion(ip: string): IpVersion | undefined {
  return isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
}

export function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The 32 hex digits of an IPv6 address, `::` expanded (IPv4-mapped tails converted). */
export function ipv6Nibbles(ip: string): string {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToNumber(v4[1] as string);
    text = `${text.slice(0, v4.index)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array.from({ length: missing }, () => '0'), ...tailGroups];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

/** The DNSBL query name of `ip` in `zone`: `4.3.2.1.zone` or 32 reversed nibbles. */
export function dnsblName(ip: string, zone: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.${zone}`;
  return `${ipv6Nibbles(ip).split('').reverse().join('.')}.${zone}`;
}

/** Every IPv4 address of the /`prefix` network around `ip` (prefix 16…32), in order. */
export function ipv4Range(ip: string, prefix: number): string[] {
  if (!isIPv4(ip)) throw new RangeError('not an IPv4 address');
  if (!Number.isInteger(prefix) || prefix < 16 || prefix > 32)
    throw new RangeError('the range must be a prefix from /16 to /32');
  const size = 2 ** (32 - prefix);
  const start = Math.floor(ipv4ToNumber(ip) / size) * size;
  return Array.from({ length: size }, (_, i) => numberToIpv4(start + i));
}

/** Addresses of public resolvers: Spamhaus and other DNSBLs refuse or mislead queries from them. */
const PUBLIC_RESOLVERS = new Set([
  '8.8.8.8',
  '8.8.4.4',
  '1.1.1.1',
  '1.0.0.1',
  '9.9.9.9',
  '149.112.112.112',
  '208.67.222.222',
  '208.67.220.220',
  '64.6.64.6',
  '64.6.65.6',
  '94.140.14.14',
  '94.140.15.15',
  '76.76.2.0',
  '76.76.10.0',
  '185.228.168.9',
  '4.2.2.1',
  '4.2.2.2',
  '2001:4860:4860::8888',
  '2001:4860:4860::8844',
  '2606:4700:4700::1111',
  '2606:4700:4700::1001',
  '2620:fe::fe',
  '2620:fe::9',
]);

/** `host` or `host:port` or `[v6]:port` → whether it is a well-known public resolver. */
export function isPublicResolver(server: string): boolean {
  const host = server.startsWith('[')
    ? server.slice(1, server.indexOf(']'))
    : server.includes('.') && server.includes(':')
      ? (server.split(':')[0] as string)
      : server;
  return PUBLIC_RESOLVERS.has(host.toLowerCase());
}
