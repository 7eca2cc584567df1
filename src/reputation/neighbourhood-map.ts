import { ipv4Range, ipVersion } from './ip-address.js';
import type { IpCheckResult } from './check-ip.js';

/** What one address of the /24 is on the map. */
export type CellState = 'unchecked' | 'unknown' | 'ours' | 'ours-listed' | 'listed' | 'listed-pbl' | 'clean';

export interface MapCell {
  ip: string;
  /** The last octet, 0–255. */
  octet: number;
  state: CellState;
  /** The zones that list the address. */
  zones: string[];
  /** The cell in words: the address, whose it is, where it is listed. */
  label: string;
  /** One character for the text map (and beside the colour on a page). */
  mark: string;
}

/** The part of a check the map needs (a fresh result, or one stored in `reputation_checks`). */
export type MapInput = Pick<IpCheckResult, 'ip' | 'range' | 'listed' | 'errors'> & {
  zones: ReadonlyArray<{ status: string }>;
};

const MARK: Record<CellState, string> = {
  unchecked: ' ',
  unknown: '?',
  ours: '@',
  'ours-listed': '!',
  listed: '#',
  'listed-pbl': '#',
  clean: '.',
};

/** A listing that only says the range is an end-user or policy range (Spamhaus PBL and the like). */
const isPolicy = (meanings: readonly string[]) => meanings.length > 0 && meanings.every((m) => /^PBL\b/.test(m));

/**
 * The article's picture as data: the /24 around an IPv4 address, 16 rows of 16 cells, each with
 * its state and a sentence; undefined for IPv6 (checked alone). Pure.
 */
export function neighbourhoodGrid(result: MapInput, ours: ReadonlySet<string>): MapCell[][] | undefined {
  if (ipVersion(result.ip) !== 4) return undefined;
  // With no usable zone nothing was looked up: every address is unknown, never "clean".
  const nothingChecked = !result.zones.some((z) => z.status === 'ok');
  const cells = ipv4Range(result.ip, 24);
  const checked = new Set(result.range >= 24 ? ipv4Range(result.ip, result.range) : cells);
  const listings = new Map<string, { zones: string[]; policyOnly: boolean }>();
  for (const l of result.listed) {
    const entry = listings.get(l.ip) ?? { zones: [], policyOnly: true };
    entry.zones.push(l.zone);
    entry.policyOnly &&= isPolicy(l.meanings);
    listings.set(l.ip, entry);
  }
  const failed = new Set(result.errors.filter((e) => e.ip).map((e) => e.ip));
  const grid: MapCell[][] = [];
  for (let row = 0; row < 16; row++) {
    grid.push(
      cells.slice(row * 16, row * 16 + 16).map((ip, column) => {
        const listing = listings.get(ip);
        const mine = ours.has(ip);
        let state: CellState;
        if (!checked.has(ip)) state = 'unchecked';
        else if (nothingChecked) state = 'unknown';
        else if (mine) state = listing ? 'ours-listed' : 'ours';
        else if (listing) state = listing.policyOnly ? 'listed-pbl' : 'listed';
        else state = failed.has(ip) ? 'unknown' : 'clean';
        const zones = listing?.zones ?? [];
        const words: Record<CellState, string> = {
          unchecked: 'not checked',
          unknown: 'not known (lookup failed)',
          ours: 'ours, not listed',
          'ours-listed': `ours, listed in ${zones.join(', ')}`,
          listed: `listed in ${zones.join(', ')}`,
          'listed-pbl': `policy listing in ${zones.join(', ')}`,
          clean: 'not listed',
        };
        return { ip, octet: row * 16 + column, state, zones, label: `${ip}: ${words[state]}`, mark: MARK[state] };
      }),
    );
  }
  return grid;
}

/**
 * The picture of the article: the /24 around an IP as a 16×16 grid, one cell per address —
 * `@` ours, `!` ours and listed, `#` a listed neighbour, `.` clean, `?` a lookup error, blank
 * not checked — followed by the per-zone counts. Pure.
 */
export function renderNeighbourhood(result: IpCheckResult, ours: ReadonlySet<string>): string {
  const lines: string[] = [];
  const nothingChecked = !result.zones.some((z) => z.status === 'ok');
  const grid = neighbourhoodGrid(result, ours);
  if (grid) {
    const base = grid[0]?.[0]?.ip.split('.').slice(0, 3).join('.');
    lines.push(`${base}.0/24     0 1 2 3 4 5 6 7 8 9 a b c d e f`);
    grid.forEach((row, r) => {
      lines.push(
        `  .${String(r * 16).padStart(3, ' ')}-${String(r * 16 + 15).padStart(3, ' ')}    ${row.map((c) => c.mark).join(' ')}`,
      );
    });
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
