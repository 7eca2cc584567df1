import { withoutControls } from '../shared/terminal-text.js';
import type { ConsentProof } from './proof.js';

/** What each event is called in a proof (the CLI's text and the console's page). */
export const EVENT_LABELS: Record<string, string> = {
  signup: 'Signed up',
  confirmation_sent: 'Confirmation mail sent',
  confirmed: 'Confirmed',
  unsubscribed: 'Unsubscribed',
  complaint: 'Complained (marked as spam)',
  bounce: 'Bounced',
  imported: 'Imported',
  erased: 'Erased',
  purged: 'Purged',
};

/** Renders a proof of consent as plain text a person (or a court) can read. */
export function formatProof(proof: ConsentProof): string {
  const lines = [
    'PROOF OF CONSENT',
    '',
    `Address:        ${proof.email}`,
    `List:           ${proof.list.name} (${proof.list.slug}), sent from ${proof.list.from}`,
    `Status:         ${proof.status}`,
    `Subscribed:     ${proof.subscribedAt ?? '-'}`,
    `Confirmed:      ${proof.confirmedAt ?? 'not confirmed'}`,
    `Generated:      ${proof.generatedAt}`,
    '',
    'Events (UTC, oldest first):',
  ];
  for (const e of proof.events) {
    lines.push('', `${e.at}  ${EVENT_LABELS[e.type] ?? e.type}`);
    // Outside text (a browser's user agent, a report's diagnostic) never reaches the terminal raw.
    if (e.ip) lines.push(`    from IP:      ${withoutControls(e.ip)}`);
    if (e.userAgent) lines.push(`    browser:      ${withoutControls(e.userAgent)}`);
    if (e.source) lines.push(`    source:       ${withoutControls(e.source)}`);
    if (e.consentVersion !== null) {
      const language = e.consentLanguage ? `, language ${e.consentLanguage}` : '';
      lines.push(`    wording shown (version ${e.consentVersion}${language}):`, `      "${e.consentText ?? ''}"`);
    }
    for (const [key, value] of Object.entries(e.detail)) {
      if (value === null || value === undefined || value === '') continue;
      lines.push(
        `    ${(key + ':').padEnd(14)}${withoutControls(typeof value === 'string' ? value : JSON.stringify(value))}`,
      );
    }
  }
  if (proof.events.length === 0) lines.push('', '(no events recorded)');
  return lines.join('\n') + '\n';
}
