import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ListRow } from '../../db/schema.js';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { clientContext } from '../request-context.js';
import { parseInput } from '../validate.js';

const params = z.object({ token: z.string().max(200) });

/**
 * The link in the confirmation mail. GET only shows a button, because mail scanners open
 * links; POST confirms. Expired links offer a fresh mail.
 */
export function registerConfirmRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const expiresDays = Math.round(deps.config.confirmTokenTtlMs / 86_400_000);
  const html = (reply: FastifyReply, status: number, page: string, data: Record<string, unknown>) =>
    deps.pages.render(page, data).then((text) => reply.code(status).type('text/html; charset=utf-8').send(text));
  const listData = (list: ListRow | undefined) =>
    list ? { list: { name: list.name, slug: list.slug }, signup_url: `${deps.config.publicUrl}/s/${list.slug}` } : {};
  const expired = (reply: FastifyReply, token: string) =>
    html(reply, 410, 'link-expired', {
      title: 'Link expired',
      expires_days: expiresDays,
      resend_action: `${deps.config.publicUrl}/c/${token}/resend`,
    });
  const invalid = (reply: FastifyReply, status: number, message?: string, list?: ListRow) =>
    html(reply, status, 'link-invalid', {
      title: 'Link not valid',
      ...(message ? { message } : {}),
      ...listData(list),
    });

  app.get(
    '/c/:token',
    { config: { page: true, rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const link = await deps.confirm.inspect(token);
      switch (link.state) {
        case 'invalid':
          return invalid(reply, 404);
        case 'expired':
          return expired(reply, token);
        case 'closed':
          return invalid(reply, 409, link.reason, link.list);
        case 'valid':
          return html(reply, 200, 'confirm', {
            title: `Confirm your subscription to ${link.list.name}`,
            ...listData(link.list),
            already_confirmed: link.alreadyConfirmed,
            action: `${deps.config.publicUrl}/c/${token}`,
          });
      }
    },
  );

  app.post(
    '/c/:token',
    { config: { page: true, rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        const { list } = await deps.confirm.confirm(token, clientContext(request, 'form', null));
        return html(reply, 200, 'confirmed', { title: 'Subscribed', ...listData(list) });
      } catch (error) {
        if (!isAppError(error)) throw error;
        if (error.code === 'gone') return expired(reply, token);
        if (error.code === 'not_found') return invalid(reply, 404);
        if (error.code === 'conflict') return invalid(reply, 409, error.message);
        throw error;
      }
    },
  );

  app.post(
    '/c/:token/resend',
    {
      config: {
        page: true,
        rateLimit: {
          max: () => deps.config.signupRateLimit.max,
          timeWindow: () => deps.config.signupRateLimit.windowMs,
        },
      },
    },
    async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        await deps.confirm.resend(token);
      } catch (error) {
        if (isAppError(error) && error.code === 'not_found') return invalid(reply, 404);
        throw error;
      }
      return html(reply, 200, 'resent', { title: 'Check your inbox' });
    },
  );
}
