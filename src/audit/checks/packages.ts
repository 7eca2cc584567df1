import type { Host } from '../host.js';

/** Names of the packages dpkg lists as installed under the root (empty on non-Debian hosts). */
export function installedDebianPackages(statusText: string | undefined): Set<string> {
  const installed = new Set<string>();
  if (!statusText) return installed;
  for (const stanza of statusText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    if (name && /^Status:.*\binstalled\s*$/m.test(stanza) && !/^Status:.*\bnot-installed\b/m.test(stanza))
      installed.add(name);
  }
  return installed;
}

/** A package counts as present when dpkg has it installed or one of its programs exists. */
export function hasSoftware(
  host: Host,
  packages: ReadonlySet<string>,
  name: string,
  programs: readonly string[],
): boolean {
  return packages.has(name) || programs.some((p) => host.exists(p));
}

/**
 * Compares version strings the way people read them (6.1.0-21 > 6.1.0-9): digit runs as numbers,
 * other runs as text, `~` before anything. Enough for kernel release names.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|[a-z]+|~/gi) ?? [];
  const pb = b.match(/\d+|[a-z]+|~/gi) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return y === '~' ? 1 : -1;
    if (y === undefined) return x === '~' ? -1 : 1;
    if (x === '~') return -1;
    if (y === '~') return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y) || x.length - y.length;
    if (nx !== ny) return nx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
}
