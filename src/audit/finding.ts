/** What an audit check reports. Pure types and arithmetic: no I/O. */
export type Severity = 'critical' | 'warning' | 'suggestion' | 'info';

export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'suggestion', 'info'];

export interface Finding {
  /** Stable, dotted: `<area>.<check>`; `--only` takes these or their area. */
  id: string;
  severity: Severity;
  title: string;
  /** What was observed, with the file or command it came from. */
  evidence: string;
  /** What a clean host has instead. */
  expected: string;
  /** A command or a config line that fixes it. */
  fix: string;
}

/** One atomic check's verdict: a finding, a pass, or why it could not run here. */
export type CheckResult =
  | { id: string; status: 'finding'; finding: Finding }
  | { id: string; status: 'pass'; evidence: string }
  | { id: string; status: 'skipped'; reason: string };

export function finding(f: Finding): CheckResult {
  return { id: f.id, status: 'finding', finding: f };
}

export function pass(id: string, evidence: string): CheckResult {
  return { id, status: 'pass', evidence };
}

export function skipped(id: string, reason: string): CheckResult {
  return { id, status: 'skipped', reason };
}

/** The nftables rule that lets only the MTA's user reach remote port 25. */
export const BLOCK_OUTBOUND_25 = 'nft add rule inet filter output tcp dport 25 meta skuid != postfix reject';

/** What the owner does at once when this server sends mail Listwarden did not send (alert mails end with it). */
export const SPAMBOT_RESPONSE: readonly string[] = [
  'Do this now:',
  '  1. hold the queue so nothing more leaves:  postsuper -h ALL',
  '  2. find the script or account that sends:   listwarden audit --mail-activity',
  '     (it names the process, the PHP script or the local user)',
  '  3. block outbound port 25 for all but the MTA:',
  `     ${BLOCK_OUTBOUND_25}`,
  '  4. once clean, release the good mail:        postsuper -H ALL   (or delete the spam: postsuper -d ALL)',
];

const WEIGHT: Record<Severity, number> = { critical: 25, warning: 8, suggestion: 2, info: 0 };

/** 100 for a clean host; each finding takes its weight off, never below 0. */
export function hygieneScore(findings: readonly Finding[]): number {
  return Math.max(0, 100 - findings.reduce((sum, f) => sum + WEIGHT[f.severity], 0));
}

/** Exit code: 0 clean, 1 suggestions, 2 warnings, 3 critical; levels below `failOn` count as clean. */
export function exitCodeFor(
  findings: readonly Finding[],
  failOn: 'suggestion' | 'warning' | 'critical' = 'suggestion',
): number {
  const worst = findings.reduce(
    (code, f) =>
      Math.max(
        code,
        f.severity === 'critical' ? 3 : f.severity === 'warning' ? 2 : f.severity === 'suggestion' ? 1 : 0,
      ),
    0,
  );
  const threshold = failOn === 'critical' ? 3 : failOn === 'warning' ? 2 : 1;
  return worst >= threshold ? worst : 0;
}

/** Most severe first, then by id, so reports and diffs are stable. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.id.localeCompare(b.id),
  );
}

/**
 * `--only ssh,postfix.vrfy`: an id (or an area) is selected when it is named, lies in a named
 * area, or is the area of a named id (so an area-wide "not checked here" still shows).
 */
export function selected(id: string, only: readonly string[] | undefined): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => id === o || id.startsWith(`${o}.`) || o.startsWith(`${id}.`));
}
