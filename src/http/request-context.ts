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
