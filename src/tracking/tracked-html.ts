/**
 * Engagement tracking in a message's HTML (pure): the links to count, each replaced by its tracked
 * address, and the open pixel. Only http(s) links of `<a href>` are tracked; the shop's own pages
 * of Listwarden (unsubscribe, preferences: under the public URL) and mailto/tel links never are.
 */

const ANCHOR_HREF = /(<a\b[^>]*?\bhref\s*=\s*)(["'])([^"']*)\2/gi;

const decode = (href: string) =>
  href
    .replace(/&amp;/g, '&')
    .replace(/&#38;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .trim();

/** The links of `html` that are tracked (decoded, as the reader's browser would open them), each once. */
export function trackableLinks(html: string, ownBase: string): string[] {
  const found = new Set<string>();
  for (const match of html.matchAll(ANCHOR_HREF)) {
    const url = decode(match[3] as string);
    if (isTrackable(url, ownBase)) found.add(url);
  }
  return [...found];
}

function isTrackable(url: string, ownBase: string): boolean {
  if (!/^https?:\/\//i.test(url) || url.length > 2048) return false;
  if (url.startsWith(ownBase)) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

const ANY_HREF = /\bhref\s*=\s*(["'])([^"']*)\1/gi;

/**
 * The links a campaign's source (HTML, or MJML with `mj-button`) writes out as they are: an href
 * with Liquid in it (`?u={{ subscriber.email }}`) differs per reader and is never tracked, so no
 * address or other personal value is ever stored as a tracked link, and a campaign has a few
 * tracked links, not one per reader.
 */
export function staticLinks(source: string, ownBase: string): Set<string> {
  const found = new Set<string>();
  for (const match of source.matchAll(ANY_HREF)) {
    const href = match[2] as string;
    if (href.includes('{{') || href.includes('{%')) continue;
    const url = decode(href);
    if (isTrackable(url, ownBase)) found.add(url);
  }
  return found;
}

/** `html` with each tracked link's href replaced by `tracked(url)` (undefined: left as it is). */
export function withTrackedLinks(html: string, tracked: (url: string) => string | undefined): string {
  return html.replace(ANCHOR_HREF, (whole, start: string, quote: string, href: string) => {
    const address = tracked(decode(href));
    return address === undefined ? whole : `${start}${quote}${address}${quote}`;
  });
}

/** An invisible 1×1 image that tells of an open, before `</body>` (or at the end). */
export function withOpenPixel(html: string, pixelUrl: string): string {
  const pixel = `<img src="${pixelUrl}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`;
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? html + pixel : html.slice(0, at) + pixel + html.slice(at);
}
