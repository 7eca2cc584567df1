import { finding, pass, skipped, type CheckResult } from '../finding.js';

export interface ForeignAbuse {
  at: number;
  reporter: string | null;
  source_ip: string | null;
  reported_message_id: string | null;
}

/** Pure: abuse reports about mail we did not send, received in the window. */
export function abuseFindings(reports: readonly ForeignAbuse[] | undefined, windowDays: number): CheckResult {
  if (reports === undefined)
    return skipped('abuse.foreign-mail', 'no Listwarden database configured to read abuse reports from');
  if (reports.length === 0)
    return pass(
      'abuse.foreign-mail',
      `no abuse reports about mail Listwarden did not send in the last ${windowDays} days`,
    );
  const shown = reports
    .slice(0, 5)
    .map(
      (r) =>
        `${new Date(Number(r.at)).toISOString()} from ${r.reporter ?? 'unknown'} about ${r.reported_message_id ?? 'a message without Message-ID'}${r.source_ip ? ` sent from ${r.source_ip}` : ''}`,
    );
  return finding({
    id: 'abuse.foreign-mail',
    severity: 'critical',
    title: 'Abuse reports name mail that Listwarden did not send',
    evidence: `${reports.length} report${reports.length === 1 ? '' : 's'} in the last ${windowDays} days (listwarden feedback ingest): ${shown.join('; ')}`,
    expected: 'every reported message is one of ours (then it is a complaint, handled as one)',
    fix: 'postsuper -h ALL   # hold the queue; run listwarden audit --mail-activity to find the sender; block outbound 25 for everyone but the MTA',
  });
}
