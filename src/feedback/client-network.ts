import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address belongs to, for connection limits: its /24 for IPv4 (a host
 * usually has a whole /24 or more to spread over) and its /64 for IPv6 (the smallest prefix a
 * site is given). Pure.
 */
export function networkOf(address: string): string {
  const plain = address.replace(/^::ffff:/i, '');
  if (isIPv4(plain)) return `${plain.slice(0, plain.lastIndexOf('.'))}.0/24`;
  if (isIPv6(plain)) {
    const [head = '', tail] = plain.toLowerCase().split('::') as [string, string | undefined];
    const left = head === '' ? [] : head.split(':');
    const right = tail === undefined || tail === '' ? [] : tail.split(':');
    const gap: string[] = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0');
    const groups: string[] = tail === undefined ? left : [...left, ...gap, ...right];
    return `${groups
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, ''))
      .join(':')}::/64`;
  }
  return plain;
}
