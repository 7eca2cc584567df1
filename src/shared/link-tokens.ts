/**
 * Our link tokens in a URL's path (`/c/…`, `/u/…`, `/p/…`, `/d/…`: 43 characters of base64url).
 * Kept evidence (the page a request came from) and proofs never carry a live token: whoever read
 * it could confirm, unsubscribe or open the preference centre in the person's name. Pure.
 */
const LINK_TOKEN = /\/([cupd])\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

export function withoutLinkTokens(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // not percent-encoded text
  }
  // `/%75/<token>` and `/c/%41%51…` route to the same pages: they are matched decoded.
  if (decoded !== text && new RegExp(LINK_TOKEN.source).test(decoded)) return decoded.replace(LINK_TOKEN, '/$1/[link]');
  return text.replace(LINK_TOKEN, '/$1/[link]');
}
