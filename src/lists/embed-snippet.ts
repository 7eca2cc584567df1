import { escapeHtml } from '../shared/html.js';

/**
 * The HTML form a shop pastes into its own site. It posts to the hosted form route, so it needs
 * no JavaScript, no CORS and no API key; the honeypot and the consent version travel along.
 */
export function embedSnippet(
  publicUrl: string,
  list: { slug: string; name: string },
  consent: { version: number; text: string },
): string {
  const action = escapeHtml(`${publicUrl}/s/${encodeURIComponent(list.slug)}`);
  const id = `lw-${list.slug}`;
  return [
    `<form method="post" action="${action}" class="listwarden-signup" aria-label="${escapeHtml(`Subscribe to ${list.name}`)}">`,
    `  <label for="${id}-email">Email address</label>`,
    `  <input type="email" id="${id}-email" name="email" required autocomplete="email" inputmode="email">`,
    `  <label for="${id}-name">Name (optional)</label>`,
    `  <input type="text" id="${id}-name" name="name" autocomplete="name" maxlength="200">`,
    `  <div style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden" aria-hidden="true">`,
    `    <label for="${id}-website">Leave this empty</label>`,
    `    <input type="text" id="${id}-website" name="website" tabindex="-1" autocomplete="off">`,
    `  </div>`,
    `  <input type="hidden" name="consent_version" value="${consent.version}">`,
    `  <p id="${id}-consent">${escapeHtml(consent.text)}</p>`,
    `  <button type="submit" aria-describedby="${id}-consent">Subscribe</button>`,
    `</form>`,
    '',
  ].join('\n');
}
