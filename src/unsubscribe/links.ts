/**
 * The one place that builds opt-out links and headers (RFC 2369 List-Unsubscribe, RFC 8058
 * one-click). Tokens come from consent/tokens.ts; unsubscribe tokens never expire.
 */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/u/${token}`;
}

export function preferencesUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/p/${token}`;
}

/** The short-lived link, mailed to the address, that opens "download my data" and "delete my data". */
export function dataUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/d/${token}`;
}

/** The reserved mailto opt-out address, answered by the inbound SMTP listener. */
export function unsubscribeMailbox(domain: string, token: string): string {
  return `unsubscribe+${token}@${domain}`;
}

/** Headers every marketing message carries, per recipient. */
export function listUnsubscribeHeaders(publicUrl: string, token: string, mailDomain: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(publicUrl, token)}>, <mailto:${unsubscribeMailbox(mailDomain, token)}?subject=unsubscribe>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
