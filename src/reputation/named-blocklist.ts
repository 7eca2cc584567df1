import { CATALOGUE, type ZoneInfo } from './zones.js';

/** Product names receivers use in refusals, for zones whose DNS name the refusal may not spell out. */
const NAMED: ReadonlyArray<[RegExp, string]> = [
  [/spamhaus/i, 'zen.spamhaus.org'],
  [/spamcop/i, 'bl.spamcop.net'],
  [/barracuda/i, 'b.barracudacentral.org'],
  [/uceprotect/i, 'dnsbl-1.uceprotect.net'],
  [/\bpsbl\b|surriel/i, 'psbl.surriel.com'],
  [/mailspike/i, 'bl.mailspike.net'],
];

/**
 * The blocklist a receiver's refusal names (`blocked using zen.spamhaus.org`, `listed on
 * Spamcop`), with where to ask for delisting; undefined when it names none. Pure.
 */
export function namedBlocklist(text: string): ZoneInfo | undefined {
  const lower = text.toLowerCase();
  const byZone = CATALOGUE.find((z) => lower.includes(z.zone));
  if (byZone) return byZone;
  const named = NAMED.find(([pattern]) => pattern.test(text))?.[1];
  return named ? CATALOGUE.find((z) => z.zone === named) : undefined;
}
