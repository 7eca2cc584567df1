import { abuseFindings, type ForeignAbuse } from './checks/abuse.js';
import { checkAccounts } from './checks/accounts.js';
import { checkFirewall } from './checks/firewall.js';
import { checkMailActivity } from './checks/mail-activity.js';
import { checkOpenRelay } from './checks/open-relay.js';
import { checkPatches, npmAuditFindings } from './checks/patches.js';
import { checkPostfix } from './checks/postfix.js';
import { checkSecuritySuites } from './checks/security-suites.js';
import { checkSsh } from './checks/ssh.js';
import {
  exitCodeFor,
  hygieneScore,
  selected,
  skipped,
  sortFindings,
  type CheckResult,
  type Finding,
} from './finding.js';
import type { Host } from './host.js';
import { systemClock } from '../shared/clock.js';

export interface AuditOptions {
  only?: readonly string[];
  /** Run the spambot checks (sockets, mail log, queue). */
  mailActivity: boolean;
  /** The MTA to probe for open relaying; undefined skips the probe (not the live host). */
  mta: { host: string; port: number } | undefined;
  /** Listwarden's outbox, to tell our Message-IDs from others; undefined without a database. */
  ours: ((messageIds: readonly string[]) => Promise<Set<string>>) | undefined;
  /** Abuse reports about mail we did not send; undefined without a database. */
  foreignAbuse: ((since: number) => Promise<ForeignAbuse[]>) | undefined;
  /** `npm audit --json` of the install, when asked for. */
  npmAudit: (() => Promise<string | undefined>) | undefined;
  foreignLimit: number;
  ownPids?: ReadonlySet<number>;
  /** Postfix's config directory when it is not /etc/postfix (a second instance). */
  postfixConfig?: string | undefined;
}

export interface AuditReport {
  score: number;
  findings: Finding[];
  passed: { id: string; evidence: string }[];
  skipped: { id: string; reason: string }[];
  root: string;
  durationMs: number;
}

const ABUSE_WINDOW_DAYS = 30;

/**
 * Runs the selected checks against the host and scores the result. Config checks read files
 * under the root; the relay probe, sockets and queue only describe the live host.
 */
export async function runAudit(host: Host, options: AuditOptions): Promise<AuditReport> {
  const started = systemClock.now();
  const only = options.only;
  const want = (area: string) => selected(area, only);
  const tasks: Promise<CheckResult[]>[] = [];
  if (want('accounts')) tasks.push(checkAccounts(host));
  if (want('ssh')) tasks.push(checkSsh(host));
  if (want('patches')) tasks.push(checkPatches(host));
  if (want('patches.npm-advisories') && options.npmAudit)
    tasks.push(
      options
        .npmAudit()
        .then((json) => [
          json === undefined
            ? skipped('patches.npm-advisories', 'npm audit could not run (it needs the registry)')
            : npmAuditFindings(json),
        ]),
    );
  if (want('suites')) tasks.push(checkSecuritySuites(host));
  if (want('firewall')) tasks.push(checkFirewall(host));
  if (want('postfix')) tasks.push(checkPostfix(host, options.postfixConfig));
  if (want('relay'))
    tasks.push(
      options.mta
        ? checkOpenRelay(options.mta)
        : Promise.resolve([skipped('relay.open', 'the open relay probe only runs against the live host')]),
    );
  if (options.mailActivity && want('mail'))
    tasks.push(
      checkMailActivity(host, {
        ours: options.ours,
        foreignLimit: options.foreignLimit,
        ownPids: options.ownPids ?? new Set([process.pid]),
        postfixConfig: options.postfixConfig,
      }),
    );
  if (want('abuse'))
    tasks.push(
      options.foreignAbuse
        ? options
            .foreignAbuse(host.now - ABUSE_WINDOW_DAYS * 86_400_000)
            .then((r) => [abuseFindings(r, ABUSE_WINDOW_DAYS)])
        : Promise.resolve([abuseFindings(undefined, ABUSE_WINDOW_DAYS)]),
    );
  const results = (await Promise.all(tasks)).flat().filter((r) => selected(r.id, only));
  const findings = sortFindings(results.flatMap((r) => (r.status === 'finding' ? [r.finding] : [])));
  return {
    score: hygieneScore(findings),
    findings,
    passed: results.flatMap((r) => (r.status === 'pass' ? [{ id: r.id, evidence: r.evidence }] : [])),
    skipped: results.flatMap((r) => (r.status === 'skipped' ? [{ id: r.id, reason: r.reason }] : [])),
    root: host.root,
    durationMs: systemClock.now() - started,
  };
}

export { exitCodeFor };
