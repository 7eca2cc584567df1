/**
 * Classification rules, pure. A hard bounce is a permanent (5.x.x) failure that is about the
 * address; a soft bounce is temporary (4.x.x) or permanent but not the address's fault: a full
 * mailbox (5.2.2), a message too large (5.2.3, 5.3.4) or a policy or reputation block (5.7.x),
 * where suppressing a good address would punish the recipient for the sender's problem.
 */
export type Classification = 'hard' | 'soft' | 'notice';

const NOT_THE_ADDRESS = /^5\.(?:2\.2|2\.3|3\.4|7\.\d{1,3})$/;

export function classifyStatus(
  status: string | undefined,
  action: string | undefined,
  diagnostic = '',
): Classification {
  if (action && ['delivered', 'relayed', 'expanded'].includes(action)) return 'notice';
  if (action === 'delayed') return 'soft';
  if (!status) return 'soft';
  if (status.startsWith('2')) return 'notice';
  if (status.startsWith('4')) return 'soft';
  if (NOT_THE_ADDRESS.test(status)) {
    // A 5.7.x that says the user does not exist is about the address after all.
    return /user ?unknown|no such user|does not exist|RecipNotFound|invalid recipient/i.test(diagnostic)
      ? 'hard'
      : 'soft';
  }
  return 'hard';
}

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
