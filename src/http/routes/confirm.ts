import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ListRow } from '../../db/schema.js';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { clientContext } from '../request-context.js';
import { parseInput } from '../validate.js';
import { preferencesUrl } from '../../unsubscribe/links.js';

const params = z.object({ token: z.string().max(200) });

/** Why a confirmation link is closed, as a catalogue key (the service says it in English). */
function closedKey(reason: string): string {
  if (/cancelled/.test(reason)) return 'link.cancelled';
  if (/bounced/.test(reason)) return 'link.bounced';
  if (/before you left/.test(reason)) return 'link.before_leaving';
  return 'link.no_subscription';
}

/**
 * The link in the confirmation mail. GET only shows a button, because mail scanners open
 * links; POST confirms. Expired links offer a fresh mail. In the list's language and brand.
 */
export function registerConfirmRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const expiresDays = Math.round(deps.config.confirmTokenTtlMs / 86_400_000);
  const pages = deps.publicPages;
  const listData = (list: ListRow | undefined) =>
    list ? { list: { name: list.name, slug: list.slug }, signup_url: `${deps.config.publicUrl}/s/${list.slug}` } : {};

  async function expired(request: FastifyRequest, reply: FastifyReply, token: string, list?: ListRow) {
    const ctx = await pages.context(request, list);
    return pages.send(
      reply,
      410,
      'link-expired',
      ctx,
      { key: 'link.expired_title' },
      {
        expires_days: expiresDays,
        resend_action: `${deps.config.publicUrl}/c/${token}/resend`,
      },
    );
  }
  async function invalid(request: FastifyRequest, reply: FastifyReply, status: number, key: string, list?: ListRow) {
    const ctx = await pages.context(request, list);
    return pages.send(
      reply,
      status,
      'link-invalid',
      ctx,
      { key: 'link.invalid_title' },
      {
        message: ctx.t(key),
        ...listData(list),
      },
    );
  }

  app.get(
    '/c/:token',
    { config: { page: true, rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const link = await deps.confirm.inspect(token);
      switch (link.state) {
        case 'invalid':
          return invalid(request, reply, 404, 'link.invalid');
        case 'expired':
          return expired(request, reply, token, link.list);
        case 'closed':
          return invalid(request, reply, 409, closedKey(link.reason), link.list);
        case 'valid': {
          const ctx = await pages.context(request, link.list);
          return pages.send(
            reply,
            200,
            'confirm',
            ctx,
            { key: 'confirm.title', values: { list: link.list.name } },
            {
              ...listData(link.list),
              already_confirmed: link.alreadyConfirmed,
              action: `${deps.config.publicUrl}/c/${token}`,
            },
          );
        }
      }
    },
  );

  app.post(
    '/c/:token',
    { config: { page: true, rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        const { list, subscriberId } = await deps.confirm.confirm(token, clientContext(request, 'form', null));
        const ctx = await pages.context(request, list);
        return await pages.send(
          reply,
          200,
          'confirmed',
          ctx,
          { key: 'confirmed.title' },
          {
            ...listData(list),
            ...(subscriberId !== undefined
              ? {
                  preferences_url: preferencesUrl(
                    deps.config.publicUrl,
                    deps.unsubscribe.preferencesToken(subscriberId),
                  ),
                }
              : {}),
          },
        );
      } catch (error) {
        if (!isAppError(error)) throw error;
        // The answer in the list's language and brand, when the link names a list.
        const link = await deps.confirm.inspect(token);
        const list = link.state === 'invalid' ? undefined : link.list;
        if (error.code === 'gone') return expired(request, reply, token, list);
        if (error.code === 'not_found') return invalid(request, reply, 404, 'link.invalid');
        if (error.code === 'conflict') return invalid(request, reply, 409, closedKey(error.message), list);
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
      let list: ListRow | undefined;
      try {
        ({ list } = await deps.confirm.resend(token));
      } catch (error) {
        if (isAppError(error) && error.code === 'not_found') return invalid(request, reply, 404, 'link.invalid');
        throw error;
      }
      return pages.send(reply, 200, 'resent', await pages.context(request, list), { key: 'resent.title' }, {});
    },
  );
}
