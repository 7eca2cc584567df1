import { SPAMBOT_RESPONSE, type Finding } from './finding.js';

/** What the periodic spambot check already told the owner: per finding id, when and what. */
export interface WatchState {
  alerted: Record<string, { at: number; evidence: string }>;
}

/** A finding still there after a day is mailed again, so an unread alert is not the last word. */
export const REMIND_AFTER_MS = 24 * 3_600_000;

/** Reads the stored state; anything unreadable is an empty state (the worst case is one more alert). */
export function parseWatchState(json: string | undefined): WatchState {
  if (!json) return { alerted: {} };
  try {
    const value = JSON.parse(json) as unknown;
    const alerted = (value as WatchState | null)?.alerted;
    if (!alerted || typeof alerted !== 'object') return { alerted: {} };
    const out: WatchState['alerted'] = {};
    for (const [id, entry] of Object.entries(alerted)) {
      if (entry && typeof entry.at === 'number' && typeof entry.evidence === 'string')
        out[id] = { at: entry.at, evidence: entry.evidence };
    }
    return { alerted: out };
  } catch {
    return { alerted: {} };
  }
}

/**
 * Pure: which critical findings to mail the owner about now. A critical finding is mailed when it
 * appears, and again after `remindMs` while it lasts; a check that passes (or is no longer
 * critical) ends the episode, so the next appearance is mailed at once. A check that could not
 * run keeps what was known.
 */
export function dueAlerts(
  state: WatchState,
  report: { findings: readonly Finding[]; passed: readonly { id: string }[] },
  now: number,
  remindMs = REMIND_AFTER_MS,
): { due: Finding[]; next: WatchState } {
  const critical = report.findings.filter((f) => f.severity === 'critical');
  const criticalIds = new Set(critical.map((f) => f.id));
  const cleared = new Set([
    ...report.passed.map((p) => p.id),
    ...report.findings.filter((f) => !criticalIds.has(f.id)).map((f) => f.id),
  ]);
  const next: WatchState = { alerted: {} };
  for (const [id, entry] of Object.entries(state.alerted)) if (!cleared.has(id)) next.alerted[id] = entry;
  const due: Finding[] = [];
  for (const f of critical) {
    const previous = next.alerted[f.id];
    if (previous && now - previous.at < remindMs) continue;
    due.push(f);
    next.alerted[f.id] = { at: now, evidence: f.evidence.slice(0, 1000) };
  }
  return { due, next };
}

/** The owner's alert: what was seen, and the three things to do now. */
export function spambotAlert(due: readonly Finding[], hostname: string): { subject: string; text: string } {
  return {
    subject: `Listwarden: ${hostname} is sending mail Listwarden did not send`,
    text: [
      `Listwarden's spambot check on ${hostname} found ${due.length === 1 ? 'a critical sign' : `${due.length} critical signs`} that this server is being used to send spam:`,
      '',
      ...due.flatMap((f) => [`- ${f.title} [${f.id}]`, `  seen: ${f.evidence}`, `  fix:  ${f.fix}`, '']),
      ...SPAMBOT_RESPONSE,
    ].join('\n'),
  };
}
