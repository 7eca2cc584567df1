import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionView } from '../../accounts/accounts.service.js';
import { allows } from '../../accounts/roles.js';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { requireRole } from './console-auth.js';

/** Console pages for settings: everyone signed in reads them, the owner changes them. */
export function registerConsoleSettings(app: FastifyInstance, deps: HttpDeps): void {
  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    notice?: { saved?: string; error?: string },
  ) {
    const session = request.session as SessionView;
    const settings = (await deps.settings.list()).map((s) => ({
      ...s,
      shown: s.value ?? '',
      source: s.overridden ? `environment (${s.variable}, stored: ${s.stored ?? '-'})` : s.source,
    }));
    const html = await deps.pages.render('console-settings', {
      title: 'Settings · Listwarden',
      user: { email: session.email, role: session.role },
      csrf: session.csrf,
      canEdit: allows(session.role, 'owner'),
      settings,
      ...notice,
    });
    return reply.code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
  }

  app.get<{ Querystring: { saved?: string } }>(
    '/console/settings',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const saved = typeof request.query.saved === 'string' ? request.query.saved.slice(0, 64) : undefined;
      return page(request, reply, 200, saved && /^[a-z_.]+$/.test(saved) ? { saved } : {});
    },
  );

  app.post(
    '/console/settings',
    { config: { page: true }, preHandler: requireRole(deps, 'owner') },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const session = request.session as SessionView;
      const actor = `console (${session.email})`;
      try {
        const value = typeof body.value === 'string' ? body.value : '';
        const view =
          value.trim() === ''
            ? await deps.settings.unset(body.key, actor)
            : await deps.settings.set(body.key, value, actor);
        return await reply.redirect(`/console/settings?saved=${encodeURIComponent(view.key)}`, 303);
      } catch (error) {
        if (!isAppError(error) || !['invalid_input', 'not_found'].includes(error.code)) throw error;
        return page(request, reply, 400, { error: error.message });
      }
    },
  );
}
