/**
 * Built-in content lint that always runs before a send, pure: what spam filters and people
 * distrust, named with a fix. Errors refuse the send (unless forced); warnings are shown.
 */
export interface LintFinding {
  id: 'no-text-part' | 'image-only' | 'url-shortener' | 'deceptive-link' | 'all-caps-subject' | 'no-unsubscribe';
  severity: 'error' | 'warning';
  detail: string;
}

const SHORTENERS = new Set([
  'bit.ly',
  'tinyurl.com',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  'rb.gy',
  'bl.ink',
  'lnkd.in',
  's.id',
  'v.gd',
  't.ly',
]);

export interface LinkRef {
  href: string;
  host: string | undefined;
  text: string;
}

/** Links of an HTML part with their visible text (tags stripped, entities of note decoded). */
export function linksIn(html: string): LinkRef[] {
  const links: LinkRef[] = [];
  const re = /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi;
  for (let m = re.exec(html); m && links.length < 500; m = re.exec(html)) {
    const href = (m[1] ?? m[2] ?? m[3] ?? '').replace(/&amp;/g, '&').trim();
    let host: string | undefined;
    try {
      const url = new URL(href);
      host = url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname.toLowerCase() : undefined;
    } catch {
      host = undefined;
    }
    const text = (m[4] ?? '')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    links.push({ href, host, text });
  }
  return links;
}

function visibleText(html: string): string {
  return html
    .replace(/<(style|script|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The domain a link text shows, when it looks like one (`www.shop.example`, `https://…`). */
function shownDomain(text: string): string | undefined {
  const match = /^(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/:?#]\S*)?$/i.exec(text.trim());
  return match?.[1]?.toLowerCase().replace(/^www\./, '');
}

export function lintContent(input: {
  subject: string;
  html: string;
  text: string;
  unsubscribeUrl: string;
}): LintFinding[] {
  const findings: LintFinding[] = [];
  if (input.text.trim().length === 0)
    findings.push({
      id: 'no-text-part',
      severity: 'error',
      detail: 'the message has no text part; filters distrust HTML-only mail',
    });
  const words = visibleText(input.html);
  const images = (input.html.match(/<img\b/gi) ?? []).length;
  if (images > 0 && words.length < 200) {
    findings.push({
      id: 'image-only',
      severity: 'error',
      detail: `the HTML is ${images} image${images === 1 ? '' : 's'} and ${words.length} characters of text: image-only mail is a classic spam sign; write the offer as text too`,
    });
  }
  const links = linksIn(input.html);
  for (const link of links) {
    if (link.host && SHORTENERS.has(link.host.replace(/^www\./, ''))) {
      findings.push({
        id: 'url-shortener',
        severity: 'error',
        detail: `${link.href} uses the shortener ${link.host}; spammers hide behind shorteners, link to your own domain`,
      });
    }
    const shown = shownDomain(link.text);
    const target = link.host?.replace(/^www\./, '');
    if (shown && target && shown !== target && !target.endsWith(`.${shown}`) && !shown.endsWith(`.${target}`)) {
      findings.push({
        id: 'deceptive-link',
        severity: 'error',
        detail: `a link shows ${shown} but goes to ${target}: that is what phishing looks like`,
      });
    }
  }
  const letters = input.subject.replace(/[^A-Za-zÀ-ÿ]/g, '');
  if (letters.length >= 8 && letters.replace(/[^A-ZÀ-Þ]/g, '').length / letters.length > 0.7) {
    findings.push({
      id: 'all-caps-subject',
      severity: 'warning',
      detail: `the subject "${input.subject.slice(0, 80)}" is mostly capitals`,
    });
  }
  if (!input.html.includes(input.unsubscribeUrl) || !input.text.includes(input.unsubscribeUrl)) {
    findings.push({
      id: 'no-unsubscribe',
      severity: 'error',
      detail: 'the unsubscribe link is missing from the HTML or the text part',
    });
  }
  return findings;
}
