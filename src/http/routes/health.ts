import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.js';
import { consoleHome } from './console-auth.js';

/** `/`: what is running and what to do next, with the lists' sign-up forms (a first run's guide). */
export function registerStartPage(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/', { config: { page: true } }, async (request, reply) => {
    // Once the console has a user, `/` is its login.
    if (await deps.accounts.hasUsers()) return consoleHome(deps, request, reply);
    const lists = (await deps.lists.names()).map((l) => ({
      name: l.name,
      url: `${deps.config.publicUrl}/s/${l.slug}`,
    }));
    const html = await deps.pages.render('start', { title: 'Listwarden', lists });
    return reply.type('text/html; charset=utf-8').send(html);
  });
}

/** Liveness plus database reachability, for load balancers and monitoring. */
export function registerHealthRoute(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/healthz', { logLevel: 'warn' }, async (_request, reply) => {
    try {
      await deps.database.ping();
      return { status: 'ok', database: 'ok' };
    } catch (error) {
      deps.logger.error({ err: error }, 'health check: database unreachable');
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
}
