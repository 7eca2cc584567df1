import { escapeHtml } from '../shared/html.js';

/** The words of the snippet in the list's language (from the catalogue), English by default. */
export type SnippetWords = (key: string, values?: Record<string, string>) => string;

const ENGLISH: Record<string, string> = {
  'signup.form_label': 'Subscribe to {list}',
  'signup.email': 'Email address',
  'signup.name': 'Name',
  'signup.optional': '(optional)',
  'signup.honeypot': 'Leave this empty',
  'signup.submit': 'Subscribe',
};
const english: SnippetWords = (key, values = {}) =>
  (ENGLISH[key] ?? key).replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? '');

/**
 * The HTML form a shop pastes into its own site. It posts to the hosted form route, so it needs
 * no CORS and no API key; the honeypot and the consent version travel along. One line of script
 * fills in the page it sits on (the evidence names that page; the server keeps it only when it is
 * on one of the list's allowed origins); without script the browser's Origin is recorded.
 */
export function embedSnippet(
  publicUrl: string,
  list: { slug: string; name: string; language?: string },
  consent: { version: number; text: string },
  words: SnippetWords = english,
): string {
  const action = escapeHtml(`${publicUrl}/s/${encodeURIComponent(list.slug)}`);
  const id = `lw-${list.slug}`;
  const t = (key: string, values?: Record<string, string>) => escapeHtml(words(key, values));
  const lang = list.language ? ` lang="${escapeHtml(list.language)}"` : '';
  return [
    `<form method="post" action="${action}" class="listwarden-signup"${lang} aria-label="${t('signup.form_label', { list: list.name })}">`,
    `  <label for="${id}-email">${t('signup.email')}</label>`,
    `  <input type="email" id="${id}-email" name="email" required autocomplete="email" inputmode="email">`,
    `  <label for="${id}-name">${t('signup.name')} ${t('signup.optional')}</label>`,
    `  <input type="text" id="${id}-name" name="name" autocomplete="name" maxlength="200">`,
    `  <div style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden" aria-hidden="true">`,
    `    <label for="${id}-website">${t('signup.honeypot')}</label>`,
    `    <input type="text" id="${id}-website" name="website" tabindex="-1" autocomplete="off">`,
    `  </div>`,
    `  <input type="hidden" name="consent_version" value="${consent.version}">`,
    `  <input type="hidden" name="page" id="${id}-page">`,
    `  <script>document.getElementById(${JSON.stringify(`${id}-page`)}).value = location.href;</script>`,
    `  <p id="${id}-consent">${escapeHtml(consent.text)}</p>`,
    `  <button type="submit" aria-describedby="${id}-consent">${t('signup.submit')}</button>`,
    `</form>`,
    '',
  ].join('\n');
}
