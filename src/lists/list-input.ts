import addressparser from 'nodemailer/lib/addressparser';
import { invalidInput } from '../shared/app-error.js';
import { normaliseEmail } from '../subscribers/email-address.js';

/** Rules for list fields, shared by the CLI and the admin API. */

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function parseSlug(input: unknown): string {
  const slug = typeof input === 'string' ? input.trim() : '';
  if (!SLUG.test(slug)) {
    throw invalidInput(
      'A list slug must be 1-64 lower-case letters, digits or dashes, not starting or ending with a dash.',
    );
  }
  return slug;
}

export function parseListName(input: unknown): string {
  const name = typeof input === 'string' ? input.trim() : '';
  if (name === '' || name.length > 200 || CONTROL.test(name)) {
    throw invalidInput('A list name must be 1-200 characters without line breaks.');
  }
  return name;
}

/** Parses `"Name <address>"` or a bare address; names go into a header, so no line breaks. */
export function parseMailbox(input: unknown, field: string): { name: string | null; address: string } {
  // One kind of line break (a browser's form sends CRLF), so an unchanged text is not a new version.
  const text = typeof input === 'string' ? input.replace(/\r\n?/g, '\n').trim() : '';
  if (text === '' || CONTROL.test(text) || text.length > 320) {
    throw invalidInput(`${field} must be an address like "Shop News <news@shop.example>".`);
  }
  const parsed = addressparser(text);
  const first = parsed.length === 1 ? parsed[0] : undefined;
  // Exactly one mailbox, not a group, and nothing after it: `Support <a@b> Bcc: v@evil` must not
  // quietly become v@evil, nor `Shop <a@b> extra` gain words in its name.
  const only = first && !('group' in first) && !/>[^>]*\S/.test(text.slice(text.lastIndexOf('>'))) ? first : undefined;
  const check = normaliseEmail(only?.address ?? '');
  if (only && check.ok && !text.toLowerCase().includes(check.address.email.toLowerCase())) {
    throw invalidInput(
      `${field} must be one address like "Shop News <news@shop.example>"; it does not read back as written.`,
    );
  }
  if (!only) {
    throw invalidInput(
      `${field} must be exactly one address like "Shop News <news@shop.example>": not a list, a group or an address with more text after it.`,
    );
  }
  if (!check.ok) {
    throw invalidInput(
      `${field} must be one address like "Shop News <news@shop.example>"${check.ok ? '' : `: ${check.reason}`}`,
    );
  }
  return { name: only.name.trim() || null, address: check.address.email };
}

export function parseConsentText(input: unknown): string {
  const text = typeof input === 'string' ? input.trim() : '';
  if (text.length < 10 || text.length > 2000) {
    throw invalidInput('The consent text must be 10-2000 characters: the exact wording people agree to.');
  }
  return text;
}

/** Origins allowed to call the JSON signup route from a browser: `https://shop.example[:port]`. */
export function parseOrigins(input: unknown): string[] {
  const items = Array.isArray(input)
    ? input
    : typeof input === 'string'
      ? input
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  return items.map((item) => {
    let url: URL | undefined;
    try {
      url = new URL(String(item));
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== String(item).replace(/\/$/, '')) {
      throw invalidInput(
        `"${String(item).slice(0, 100)}" is not an origin; write it as https://shop.example (scheme, host and optional port).`,
      );
    }
    return url.origin;
  });
}

export function defaultConsentText(listName: string): string {
  return `Yes, I want to receive news and offers from ${listName} by email. I can unsubscribe at any time with the link in every message.`;
}
