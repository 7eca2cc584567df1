import { domainToASCII } from 'node:url';

/** A normalised address: trimmed, domain lower-case ASCII (IDN converted to punycode). */
export interface EmailAddress {
  /** The address to store and display: local part as given, normalised domain. */
  email: string;
  /** Lower-cased `email`: the identity for uniqueness and suppression. */
  key: string;
  local: string;
  domain: string;
}

/** Why an address was refused: a key of the public pages' catalogue (`email.<code>`). */
export type EmailProblem =
  | 'empty'
  | 'too_long'
  | 'ip_domain'
  | 'bad_characters'
  | 'no_at'
  | 'no_local'
  | 'no_domain'
  | 'two_at'
  | 'local_too_long'
  | 'local_characters'
  | 'domain_invalid'
  | 'domain_too_long'
  | 'domain_no_dot'
  | 'domain_characters'
  | 'domain_numeric';

export type EmailCheck = { ok: true; address: EmailAddress } | { ok: false; code: EmailProblem; reason: string };

const MAX_LOCAL_OCTETS = 64; // RFC 5321 4.5.3.1.1
const MAX_DOMAIN_OCTETS = 253; // RFC 1035 as written in text form, without the root dot
const MAX_ADDRESS_OCTETS = 254; // RFC 5321 path limit (256) minus the angle brackets
const ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Validates and normalises an email address; the reason is a sentence a person can act on. */
export function normaliseEmail(input: unknown): EmailCheck {
  if (typeof input !== 'string') return { ok: false, code: 'empty', reason: 'Enter an email address.' };
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, code: 'empty', reason: 'Enter an email address.' };
  if (trimmed.length > 512) return { ok: false, code: 'too_long', reason: 'That email address is too long.' };
  if (/@\[[^\]]*\]$/.test(trimmed))
    return { ok: false, code: 'ip_domain', reason: 'Addresses at an IP address are not accepted; use a domain name.' };
  if (/[\s<>()[\],;:\\"]/.test(trimmed)) {
    return {
      ok: false,
      code: 'bad_characters',
      reason: 'An email address cannot contain spaces, quotes, brackets, commas or semicolons.',
    };
  }
  const at = trimmed.lastIndexOf('@');
  if (at < 0)
    return { ok: false, code: 'no_at', reason: 'An email address needs an @ between the name and the domain.' };
  const local = trimmed.slice(0, at);
  const rawDomain = trimmed.slice(at + 1);
  if (local === '') return { ok: false, code: 'no_local', reason: 'The part before the @ is missing.' };
  if (rawDomain === '') return { ok: false, code: 'no_domain', reason: 'The domain after the @ is missing.' };
  if (local.includes('@')) return { ok: false, code: 'two_at', reason: 'An email address can contain only one @.' };
  if (Buffer.byteLength(local) > MAX_LOCAL_OCTETS) {
    return {
      ok: false,
      code: 'local_too_long',
      reason: `The part before the @ is longer than ${MAX_LOCAL_OCTETS} characters.`,
    };
  }
  if (!local.split('.').every((atom) => ATOM.test(atom))) {
    return {
      ok: false,
      code: 'local_characters',
      reason: /[^\x00-\x7f]/.test(local)
        ? 'Accented or non-Latin letters before the @ are not supported.'
        : 'The part before the @ has a character or dot in the wrong place.',
    };
  }
  const domain = normaliseDomain(rawDomain);
  if (!domain.ok) return domain;
  const email = `${local}@${domain.domain}`;
  if (email.length > MAX_ADDRESS_OCTETS) {
    return {
      ok: false,
      code: 'too_long',
      reason: `That email address is longer than ${MAX_ADDRESS_OCTETS} characters.`,
    };
  }
  return { ok: true, address: { email, key: email.toLowerCase(), local, domain: domain.domain } };
}

function normaliseDomain(
  raw: string,
): { ok: true; domain: string } | { ok: false; code: EmailProblem; reason: string } {
  const stripped = raw.replace(/\.$/, '');
  const ascii = domainToASCII(stripped.toLowerCase());
  if (ascii === '')
    return { ok: false, code: 'domain_invalid', reason: 'The domain after the @ is not a valid domain name.' };
  if (ascii.length > MAX_DOMAIN_OCTETS)
    return { ok: false, code: 'domain_too_long', reason: 'The domain after the @ is too long.' };
  const labels = ascii.split('.');
  if (labels.length < 2)
    return { ok: false, code: 'domain_no_dot', reason: 'The domain after the @ needs a dot, as in example.com.' };
  if (!labels.every((label) => LABEL.test(label))) {
    return {
      ok: false,
      code: 'domain_characters',
      reason: 'The domain after the @ has a character or dot in the wrong place.',
    };
  }
  if (/^\d+$/.test(labels[labels.length - 1] as string)) {
    return {
      ok: false,
      code: 'domain_numeric',
      reason: 'The domain after the @ must end in a name such as .com, not a number.',
    };
  }
  return { ok: true, domain: ascii };
}

/** Providers that ignore dots in the local part, and their canonical domain. */
const DOTLESS: Readonly<Record<string, string>> = { 'gmail.com': 'gmail.com', 'googlemail.com': 'gmail.com' };

/**
 * The mailbox an address delivers to, for limits only (never identity): lower-cased, without a
 * `+tag` (sub-addressing), and for Gmail without dots, so `Victim+1@gmail.com` and `v.i.c.t.i.m@googlemail.com`
 * count as one inbox. Takes an address `normaliseEmail` accepted. Pure.
 */
export function mailboxKey(emailKey: string): string {
  const at = emailKey.lastIndexOf('@');
  let local = emailKey.slice(0, at).toLowerCase();
  let domain = emailKey.slice(at + 1).toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const canonical = DOTLESS[domain];
  if (canonical) {
    local = local.replaceAll('.', '');
    domain = canonical;
  }
  return `${local}@${domain}`;
}
