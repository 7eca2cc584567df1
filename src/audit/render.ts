import { SEVERITIES } from './finding.js';
import type { AuditReport } from './audit.service.js';

const HEADINGS = { critical: 'CRITICAL', warning: 'WARNINGS', suggestion: 'SUGGESTIONS', info: 'INFO' } as const;

/** The human report: grouped by severity, each finding with evidence, expectation and fix. */
export function renderAudit(report: AuditReport): string {
  const out: string[] = [
    `Listwarden host audit of ${report.root}: hygiene score ${report.score}/100 (${report.findings.length} findings, ${report.passed.length} checks passed, ${report.skipped.length} not applicable)`,
  ];
  for (const severity of SEVERITIES) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push('', `${HEADINGS[severity]} (${group.length})`);
    for (const f of group) {
      out.push(
        `  [${f.id}] ${f.title}`,
        `      seen:     ${f.evidence}`,
        `      expected: ${f.expected}`,
        `      fix:      ${f.fix}`,
      );
    }
  }
  if (report.passed.length > 0)
    out.push('', `PASSED (${report.passed.length})`, ...report.passed.map((p) => `  [${p.id}] ${p.evidence}`));
  if (report.skipped.length > 0)
    out.push('', `NOT CHECKED (${report.skipped.length})`, ...report.skipped.map((s) => `  [${s.id}] ${s.reason}`));
  return `${out.join('\n')}\n`;
}
