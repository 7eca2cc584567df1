import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { embedSnippet } from '../../lists/embed-snippet.js';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';

/** The lists page: every list with its counts, hosted form and embed code; editors create lists. */
export function registerConsoleLists(app: FastifyInstance, deps: HttpDeps): void {
  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    notice: { saved?: string; error?: string; form?: Record<string, string> } = {},
  ) {
    const lists = (await deps.lists.list()).map((l) => ({
      ...l,
      confirmed: l.counts?.confirmed ?? 0,
      pending: l.counts?.pending ?? 0,
      unsubscribed: l.counts?.unsubscribed ?? 0,
      bounced: l.counts?.bounced ?? 0,
      formUrl: `${deps.config.publicUrl}/s/${l.slug}`,
      embed: embedSnippet(deps.config.publicUrl, l, l.consentText, (key, values) =>
        deps.i18n.t(l.language, key, values),
      ),
    }));
    return renderConsole(deps, request, reply, status, 'console-lists', {
      title: 'Lists · Listwarden',
      lists,
      form: notice.form ?? {},
      ...notice,
    });
  }

  app.get<{ Querystring: { saved?: string } }>(
    '/console/lists',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const saved = typeof request.query.saved === 'string' ? request.query.saved.slice(0, 64) : undefined;
      return page(request, reply, 200, saved && /^[a-z0-9-]+$/.test(saved) ? { saved } : {});
    },
  );

  app.post(
    '/console/lists',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
      try {
        const list = await deps.lists.create({
          slug: text('slug'),
          name: text('name'),
          from: text('from'),
          ...(text('consentText').trim() ? { consentText: text('consentText') } : {}),
        });
        return await reply.redirect(`/console/lists?saved=${list.slug}`, 303);
      } catch (error) {
        if (!isAppError(error) || !['invalid_input', 'conflict'].includes(error.code)) throw error;
        const form = { slug: text('slug'), name: text('name'), from: text('from'), consentText: text('consentText') };
        return page(request, reply, 400, { error: error.message, form });
      }
    },
  );
}
