import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from '../deps.js';

const params = z.object({ token: z.string().max(100) });
/** The smallest transparent GIF: the open pixel's answer. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const fetchOf = (request: FastifyRequest) => ({
  method: request.method,
  userAgent: request.headers['user-agent'],
  ip: request.ip,
});

/**
 * Engagement tracking (only in mail of lists that turned it on). `/t/c/:token` records a click and
 * redirects to the link the token's campaign holds; a token that does not verify is a 404 with a
 * sentence, never a redirect. `/t/o/:token` records an open and answers a 1×1 GIF, whatever the
 * token (a broken image tells nothing). Neither stores the IP address; neither is cached.
 */
export function registerTrackingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/t/c/:token',
    handler: async (request, reply) => {
      const parsed = params.safeParse(request.params);
      const target = parsed.success ? await deps.tracking.click(parsed.data.token, fetchOf(request)) : undefined;
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (target === undefined)
        return reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send('This link is not valid: it may have been changed or cut off. Open the mail again and use its link.\n');
      return reply.redirect(target, 302);
    },
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/t/o/:token',
    handler: async (request, reply) => {
      const parsed = params.safeParse(request.params);
      if (parsed.success) await deps.tracking.open(parsed.data.token, fetchOf(request));
      return reply.header('cache-control', 'no-store, private').type('image/gif').send(PIXEL);
    },
  });
}
