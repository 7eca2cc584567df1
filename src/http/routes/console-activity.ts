import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';

const PAGE = 50;

/** The activity log (owner): every console action with its user and outcome, 50 a page, newest first. */
export function registerConsoleActivity(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: { before?: string } }>(
    '/console/activity',
    { config: { page: true }, preHandler: requireRole(deps, 'owner') },
    async (request, reply) => {
      const raw = request.query.before;
      if (raw !== undefined && !/^[1-9]\d{0,15}$/.test(raw))
        throw new AppError('invalid_input', 'The page address is not valid: "before" must be an entry number.');
      const entries = await deps.activity.page({ limit: PAGE, ...(raw ? { before: Number(raw) } : {}) });
      return renderConsole(deps, request, reply, 200, 'console-activity', {
        title: 'Activity · Listwarden',
        entries: entries.map((e) => ({
          ...e,
          when: new Date(e.at).toISOString().replace('T', ' ').slice(0, 19),
          refused: e.outcome >= 400,
          detail: Object.entries(e.detail)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join(', '),
        })),
        next: entries.length === PAGE ? entries[entries.length - 1]?.id : undefined,
      });
    },
  );
}
