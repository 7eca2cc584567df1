import type { FastifyRequest } from 'fastify';
import type { ClientContext } from '../consent/client-context.js';
import { withoutLinkTokens } from '../shared/link-tokens.js';

const clip = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;

/** A URL header value kept as evidence only when it is a plain http(s) URL. */
function pageUrl(value: unknown): string | null {
  const text = clip(value, 2048);
  if (!text) return null;
  try {
    const url = new URL(text);
    // A page of ours (`/c/<token>`) is kept without its token.
    return url.protocol === 'http:' || url.protocol === 'https:' ? withoutLinkTokens(url.href) : null;
  } catch {
    return null;
  }
}

/** Evidence about the person behind a request: IP, browser, and the page they came from. */
export function clientContext(
  request: FastifyRequest,
  channel: ClientContext['channel'],
  fallbackSource: string | null,
): ClientContext {
  return {
    ip: request.ip ?? null,
    userAgent: clip(request.headers['user-agent'], 512),
    source: pageUrl(request.headers.referer) ?? pageUrl(request.headers.origin) ?? fallbackSource,
    channel,
  };
}

/**
 * The page a form says it was on (the hosted form's own address, or the embedding page the
 * snippet filled in), kept only when it is believable: an http(s) URL on our origin or one of the
 * list's allowed origins, and, when the browser sent an Origin header, on that origin. Pure.
 */
export function formPage(
  claimed: string | undefined,
  origin: string | undefined,
  allowedOrigins: readonly string[],
): string | undefined {
  const page = pageUrl(claimed);
  if (!page) return undefined;
  const pageOrigin = new URL(page).origin;
  if (!allowedOrigins.includes(pageOrigin)) return undefined;
  // A browser names the posting site; without it (a script), or with `null` (a sandboxed frame, a
  // file), nothing ties the claim to a page, so it is not believed.
  if (origin !== pageOrigin) return undefined;
  return page;
}
