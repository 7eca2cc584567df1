/** How a recipient's outcome counts: `reasons.ts` derives it from the reason (hard only when the address cannot receive mail). */
export type Classification = 'hard' | 'soft' | 'notice';

/** Feedback types that mean the recipient complained (RFC 5965 §7.3; `other` is treated alike). */
export function isComplaintType(type: string | undefined): boolean {
  return type === undefined || ['abuse', 'fraud', 'virus', 'other', 'opt-out', 'optout'].includes(type);
}

const AUTO_REPLY_SUBJECT =
  /^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|abwesen|absence|vacation|on leave|automatische antwort|r[ée]ponse automatique|risposta automatica|respuesta autom[áa]tica|autosvar|afwezig)/i;

/** Out-of-office and other automatic answers (RFC 3834 and the common non-standard signs). */
export function looksLikeAutoReply(headers: Map<string, string[]>, subject: string): boolean {
  const autoSubmitted = headers.get('auto-submitted')?.[0]?.toLowerCase() ?? '';
  if (autoSubmitted.startsWith('auto-replied')) return true;
  if (headers.has('x-autoreply') || headers.has('x-autorespond') || headers.has('x-autoresponder')) return true;
  const precedence = headers.get('precedence')?.[0]?.toLowerCase() ?? '';
  if (precedence === 'auto_reply') return true;
  const suppress = headers.get('x-auto-response-suppress')?.[0] ?? '';
  return (
    AUTO_REPLY_SUBJECT.test(subject.replace(/^(?:re|aw|fw|fwd):\s*/i, '')) ||
    (/\bOOF\b/.test(suppress) && /out of office/i.test(subject))
  );
}
