import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SessionView } from '../../accounts/accounts.service.js';
import { allows } from '../../accounts/roles.js';
import { invalidInput } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';

const AuditQuery = z.object({
  ran: z
    .string({ error: 'The result link is not valid.' })
    .regex(/^[1-9][0-9]{0,14}$/, 'The result link is not valid.')
    .optional(),
  joined: z.enum(['1'], { error: 'The result link is not valid.' }).optional(),
});

const SEVERITY_CLASS = { critical: 'sev-critical', warning: 'sev-medium', suggestion: '', info: '' } as const;
const SEVERITY_WORDS = {
  critical: 'Critical',
  warning: 'Warnings',
  suggestion: 'Suggestions',
  info: 'For information',
};

/**
 * The host audit in the console: the last run's score and findings by severity with their fixes,
 * the history of runs; an owner runs it again (POST `/console/audit/run`, which changes state: a
 * new `audit_runs` row). One run at a time: a second request waits for the running one.
 */
export function registerConsoleAudit(app: FastifyInstance, deps: HttpDeps): void {
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, data: object) =>
    renderConsole(deps, request, reply, status, 'console-audit', data);

  app.get(
    '/console/audit',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const parsed = AuditQuery.safeParse(request.query ?? {});
      if (!parsed.success) throw invalidInput(parsed.error.issues[0]?.message ?? 'The address is not valid.');
      const latest = await deps.auditRuns.latest();
      return render(request, reply, 200, {
        title: 'Server audit · Listwarden',
        latest: latest && {
          ...latest,
          groups: latest.groups.map((g) => ({
            ...g,
            words: SEVERITY_WORDS[g.severity],
            cls: SEVERITY_CLASS[g.severity],
          })),
        },
        history: await deps.auditRuns.history(50),
        canRun: allows((request.session as SessionView).role, 'owner'),
        running: deps.auditRuns.running,
        ran: parsed.data.ran ? Number(parsed.data.ran) : undefined,
        joined: parsed.data.joined === '1',
      });
    },
  );

  app.post(
    '/console/audit/run',
    { config: { page: true }, preHandler: requireRole(deps, 'owner') },
    async (request, reply) => {
      const session = request.session as SessionView;
      const { id, joined } = await deps.auditRuns.run(`console (${session.email})`);
      return reply.redirect(`/console/audit?ran=${id}${joined ? '&joined=1' : ''}`, 303);
    },
  );
}
