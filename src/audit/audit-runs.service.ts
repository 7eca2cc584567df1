import type { Database } from '../db/database.js';
import { knownMessageIds } from '../mail/outbox.repo.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { foreignAbuseSince } from './abuse-reports.repo.js';
import { auditRunHistory, insertAuditRun, latestAuditRun } from './audit-runs.repo.js';
import { runAudit, type AuditReport } from './audit.service.js';
import { SEVERITIES, type Finding, type Severity } from './finding.js';
import type { Host } from './host.js';

/** A stored run as the console shows it: the findings grouped by severity, most severe first. */
export interface AuditRunView {
  id: number;
  startedAt: string;
  durationMs: number;
  score: number;
  passed: number;
  skipped: number;
  who: string;
  groups: Array<{ severity: Severity; findings: Finding[] }>;
  findingCount: number;
}

/** Findings read back from their JSON; anything that is not a finding is left out. */
function parseFindings(json: string): Finding[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter(
    (f): f is Finding =>
      typeof f === 'object' &&
      f !== null &&
      ['id', 'title', 'evidence', 'expected', 'fix'].every(
        (k) => typeof (f as Record<string, unknown>)[k] === 'string',
      ) &&
      SEVERITIES.includes((f as Finding).severity),
  );
}

/** The stored form of a finished audit. */
export function auditRunRow(report: AuditReport, startedAt: number, who: string) {
  return {
    started_at: startedAt,
    duration_ms: Math.round(report.durationMs),
    score: report.score,
    findings: JSON.stringify(report.findings),
    passed: report.passed.length,
    skipped: report.skipped.length,
    who: who.slice(0, 300),
  };
}

/**
 * The host audit run from the console: one run at a time (a second request while one runs waits
 * for that run instead of starting another), each stored in `audit_runs` with who asked.
 * The checks read small files and wait on child processes, so the event loop stays free.
 */
export function createAuditRuns(deps: {
  database: Database;
  host: Host;
  /** The MTA the open relay probe talks to, read at each run. */
  mta: () => { host: string; port: number } | undefined;
  foreignLimit: () => number;
  postfixConfig: () => string | undefined;
  clock?: Clock;
}) {
  const { database } = deps;
  const clock = deps.clock ?? systemClock;
  let running: Promise<{ id: number }> | undefined;

  async function runAndStore(who: string): Promise<{ id: number }> {
    const startedAt = clock.now();
    const report = await runAudit(deps.host, {
      mailActivity: false,
      mta: deps.host.live ? deps.mta() : undefined,
      ours: (ids) => knownMessageIds(database.db, ids),
      foreignAbuse: (since) => foreignAbuseSince(database.db, since),
      npmAudit: undefined,
      foreignLimit: deps.foreignLimit(),
      postfixConfig: deps.postfixConfig(),
    });
    const id = await database.transaction((trx) => insertAuditRun(trx, auditRunRow(report, startedAt, who)));
    return { id };
  }

  const view = (row: NonNullable<Awaited<ReturnType<typeof latestAuditRun>>>): AuditRunView => {
    const findings = parseFindings(row.findings);
    return {
      id: Number(row.id),
      startedAt: new Date(Number(row.started_at)).toISOString(),
      durationMs: Number(row.duration_ms),
      score: Number(row.score),
      passed: Number(row.passed),
      skipped: Number(row.skipped),
      who: row.who,
      findingCount: findings.length,
      groups: SEVERITIES.map((severity) => ({
        severity,
        findings: findings.filter((f) => f.severity === severity),
      })).filter((g) => g.findings.length > 0),
    };
  };

  return {
    /** Whether a run is going on now. */
    get running(): boolean {
      return running !== undefined;
    },

    /** Runs the audit and stores it; `joined` when it waited for a run someone else started. */
    async run(who: string): Promise<{ id: number; joined: boolean }> {
      if (running) return { ...(await running), joined: true };
      running = runAndStore(who);
      try {
        return { ...(await running), joined: false };
      } finally {
        running = undefined;
      }
    },

    async latest(): Promise<AuditRunView | undefined> {
      const row = await latestAuditRun(database.db);
      return row ? view(row) : undefined;
    },

    async history(limit = 50) {
      return (await auditRunHistory(database.db, limit)).map((r) => ({
        id: Number(r.id),
        startedAt: new Date(Number(r.started_at)).toISOString(),
        durationMs: Number(r.duration_ms),
        score: Number(r.score),
        passed: Number(r.passed),
        skipped: Number(r.skipped),
        who: r.who,
      }));
    },
  };
}

export type AuditRuns = ReturnType<typeof createAuditRuns>;
