import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';

const ACTIONS = ['send', 'pause', 'resume', 'cancel'] as const;
type Action = (typeof ACTIONS)[number];

/** Campaigns in the console: the list, one campaign's progress, and an editor's send, pause, resume, cancel. */
export function registerConsoleCampaigns(app: FastifyInstance, deps: HttpDeps): void {
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, page: string, data: object) =>
    renderConsole(deps, request, reply, status, page, data);

  const campaignPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    status: number,
    notice: { done?: string; error?: string } = {},
  ) => {
    const view = await deps.campaigns.status(id);
    return render(request, reply, status, 'console-campaign', {
      title: `Campaign ${view.id} · Listwarden`,
      campaign: view,
      can: {
        send: view.status === 'draft',
        pause: view.status === 'running',
        resume: view.status === 'paused' || view.status === 'stopped_by_guard',
        cancel: ['draft', 'scheduled', 'running', 'paused', 'stopped_by_guard'].includes(view.status),
      },
      ...notice,
    });
  };

  app.get(
    '/console/campaigns',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) =>
      render(request, reply, 200, 'console-campaigns', {
        title: 'Campaigns · Listwarden',
        campaigns: await deps.campaigns.list({ limit: 100 }),
      }),
  );

  app.get<{ Params: { id: string } }>(
    '/console/campaigns/:id',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => campaignPage(request, reply, request.params.id, 200),
  );

  app.post<{ Params: { id: string; action: string } }>(
    '/console/campaigns/:id/:action',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const { id, action } = request.params;
      if (!ACTIONS.includes(action as Action)) return reply.callNotFound();
      try {
        if (action === 'send') await deps.campaigns.send(id);
        else if (action === 'pause') await deps.campaigns.pause(id);
        else if (action === 'resume') await deps.campaigns.resume(id);
        else await deps.campaigns.cancel(id);
        return await campaignPage(request, reply, id, 200, { done: `${action}` });
      } catch (error) {
        if (!isAppError(error) || !['conflict', 'invalid_input'].includes(error.code)) throw error;
        return campaignPage(request, reply, id, 409, { error: error.message });
      }
    },
  );
}
