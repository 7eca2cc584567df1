import type { FastifyInstance, FastifyReply } from 'fastify';

/** Paths whose URL carries a personal token, and downloads of personal data. */
const PRIVATE = /^\/(?:c|u|p|d|setup)\/|^\/(?:console|login|logout)(?:\/|$)|^\/api\/v1\/subscribers\/[^/]+\/export/;

/** The console's pages and its assets: scripts only from our origin, never inline. */
const CONSOLE = /^\/(?:console|assets)(?:\/|$)/;
/**
 * Scripts and connections only to our origin; inline styles are allowed for the campaign preview
 * (a sandboxed iframe without scripts shows the mail as written); images from anywhere, as in mail.
 */
const CONSOLE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:; " +
  "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/** A list's form preview (the route's address): framed by our own console page only. */
const FORM_PREVIEW = /^\/console\/lists\/:slug\/form-preview$/;

/** The brand's images: nothing in them may run or load. */
const BRAND_IMAGE = /^\/brand\//;

/** Query parameters that look like credentials: never accepted, never logged. */
const CREDENTIAL_PARAM = /[?&](?:api[_-]?key|key|access[_-]?token|token|secret|password)=/i;

/**
 * Headers on every answer: no framing (CSP `frame-ancestors 'none'`), no MIME sniffing; and on
 * token pages and exports no caching and no Referer, so a token never leaks to another site or a
 * shared cache. An API key in a URL is refused: keys go in the Authorization header only.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/') && CREDENTIAL_PARAM.test(request.url)) {
      return reply
        .code(400)
        .send({ error: 'invalid_input', message: 'API keys go in the Authorization header, never in the URL.' });
    }
    return undefined;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // The route decides, not the raw path: `/%75/<token>` is the `/u/:token` page.
    setSecurityHeaders(reply, request.routeOptions.url ?? request.url);
    return payload;
  });
}

/** The headers themselves; also set directly where no hook runs (answers to unroutable addresses). */
export function setSecurityHeaders(reply: FastifyReply, url: string): void {
  reply.header('X-Content-Type-Options', 'nosniff');
  if (FORM_PREVIEW.test(url)) {
    // A list's form preview is framed by the list's console page, in a sandbox, and by nothing else.
    reply.header('Content-Security-Policy', "sandbox; frame-ancestors 'self'");
    reply.header('X-Frame-Options', 'SAMEORIGIN');
  } else if (BRAND_IMAGE.test(url)) {
    reply.header('Content-Security-Policy', "default-src 'none'; sandbox; frame-ancestors 'none'");
  } else {
    reply.header('Content-Security-Policy', CONSOLE.test(url) ? CONSOLE_POLICY : "frame-ancestors 'none'");
    reply.header('X-Frame-Options', 'DENY');
  }
  if (PRIVATE.test(url)) {
    reply.header('Cache-Control', 'no-store');
    reply.header('Referrer-Policy', 'no-referrer');
  }
}
