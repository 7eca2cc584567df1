import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.js';

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
