import { ipv4Range, ipVersion } from './ip-address.js';
import type { IpCheckResult } from './check-ip.js';

/**
 * The picture of the article: the /24 around an IP as a 16×16 grid, one cell per address —
 * `@` ours, `!` ours and listed, `#` a listed neighbour, `.` clean, `?` a lookup error, blank
 * not checked — followed by the per-zone counts. Pure.
 */
export function renderNeighbourhood(result: IpCheckResult, ours: ReadonlySet<string>): string {
  const lines: string[] = [];
  // With no usable zone nothing was looked up: every address is unknown, never "clean".
  const nothingChecked = !result.zones.some((z) => z.status === 'ok');
  if (ipVersion(result.ip) === 4) {
    const cells = ipv4Range(result.ip, 24);
    const checked = new Set(result.range >= 24 ? ipv4Range(result.ip, result.range) : cells);
    const listed = new Set(result.listed.map((l) => l.ip));
    const failed = new Set(result.errors.filter((e) => e.ip).map((e) => e.ip));
    const base = cells[0]?.split('.').slice(0, 3).join('.');
    lines.push(`${base}.0/24     0 1 2 3 4 5 6 7 8 9 a b c d e f`);
    for (let row = 0; row < 16; row++) {
      const marks = cells.slice(row * 16, row * 16 + 16).map((ip) => {
        if (!checked.has(ip)) return ' ';
        if (nothingChecked) return '?';
        if (ours.has(ip)) return listed.has(ip) ? '!' : '@';
        if (listed.has(ip)) return '#';
        return failed.has(ip) ? '?' : '.';
      });
      lines.push(
        `  .${String(row * 16).padStart(3, ' ')}-${String(row * 16 + 15).padStart(3, ' ')}    ${marks.join(' ')}`,
      );
    }
    lines.push(
      '  @ ours   ! ours, listed   # listed neighbour   . clean   ? not known (lookup failed or no usable zone)',
    );
    lines.push('');
  }
  lines.push(
    `${result.addresses} address${result.addresses === 1 ? '' : 'es'} checked around ${result.ip} (/${result.range}):`,
  );
  for (const zone of result.zones) {
    const state = zone.status === 'ok' ? `${zone.listed} listed` : `${zone.status.toUpperCase()}: ${zone.detail}`;
    lines.push(
      `  ${zone.zone.padEnd(28)} ${state}${zone.blocks && zone.listed > 0 ? '  (receivers block on this list)' : ''}`,
    );
  }
  if (nothingChecked) {
    lines.push('No blocklist zone answered its test query, so nothing was checked: see each zone above.');
  }
  const mine = result.listed.filter((l) => ours.has(l.ip) || l.ip === result.ip);
  for (const l of mine) {
    lines.push(
      `  ${l.ip} is listed in ${l.zone}: ${l.meanings.join('; ')}${l.reason ? ` — ${l.reason}` : ''}${l.delistUrl ? ` (delisting: ${l.delistUrl})` : ''}`,
    );
  }
  return lines.join('\n');
}
