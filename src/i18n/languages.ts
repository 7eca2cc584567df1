import Negotiator from 'negotiator';
import { invalidInput } from '../shared/app-error.js';

/** The languages of every public page and system mail (views/locales/<code>.json). */
export const LANGUAGES = ['en', 'de', 'nl', 'fr', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];

export const DEFAULT_LANGUAGE: Language = 'en';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** A language code from the CLI, the API or a form: one of LANGUAGES, or a sentence naming them. */
export function parseLanguage(value: unknown, what = 'The language'): Language {
  const code = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (isLanguage(code)) return code;
  throw invalidInput(`${what} must be one of ${LANGUAGES.join(', ')}.`, { field: 'language' });
}

/**
 * The language to answer in: the browser's first choice (`Accept-Language`, RFC 9110 q-values,
 * `de-AT` counts as `de`) among `offered`, else `fallback`. Pure; a missing or malformed header
 * gives the fallback.
 */
export function chooseLanguage(
  acceptLanguage: string | undefined,
  offered: readonly Language[],
  fallback: Language,
): Language {
  if (!acceptLanguage || offered.length === 0) return fallback;
  const header = acceptLanguage.slice(0, 512);
  // Negotiator matches `de-AT` to `de` only when the base language is asked for too, so each
  // range is extended with its base language at the same weight.
  const ranges = header
    .split(',')
    .map((part) => part.trim())
    // `*` (any language) chooses nothing: the fallback, the list's own, stays.
    .filter((part) => part !== '' && !part.startsWith('*'))
    .slice(0, 32)
    .flatMap((part) => {
      const [tag = '', ...params] = part.split(';');
      const base = tag.split('-')[0] ?? '';
      const rest = params.length ? `;${params.join(';')}` : '';
      return base && base !== tag ? [part, `${base}${rest}`] : [part];
    });
  const choice = new Negotiator({ headers: { 'accept-language': ranges.join(', ') } }).language([...offered]);
  return isLanguage(choice) ? choice : fallback;
}
