import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pageLanguage } from '../../lists/lists.service.js';
import { z } from 'zod';
import { isAppError } from '../../shared/app-error.js';
import { dataUrl, preferencesUrl, unsubscribeUrl } from '../../unsubscribe/links.js';
import type { HttpDeps } from '../deps.js';
import { clientContext } from '../request-context.js';
import { parseInput } from '../validate.js';

const params = z.object({ token: z.string().max(200) });
const unsubscribeBody = z
  .object({ via: z.string().max(20).optional() })
  .passthrough()
  .optional()
  .catch(undefined);
const preferencesBody = z.object({
  action: z.enum(['leave', 'leave_all', 'data_link', 'rejoin'], { message: 'Choose what to do.' }),
  list: z.string().max(100).optional(),
  consent_version: z
    .string()
    .regex(/^\d{1,6}$/)
    .optional()
    .catch(undefined),
});
const dataBody = z.object({
  action: z.enum(['export', 'erase'], { message: 'Choose what to do.' }),
  confirm: z.string().max(10).optional(),
});

/**
 * Opt-out pages. `POST /u/:token` is the RFC 8058 one-click target: it takes any body (form,
 * multipart or none), needs no cookie, answers 200 without a redirect, and the change is
 * committed before the answer. `/p/:token` is the preference centre; `/d/:token`, a link mailed to
 * the address that works for an hour, downloads or deletes the person's data.
 */
export async function registerOptOutRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const pages = deps.publicPages;
  const failure = async (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (isAppError(error) && (error.code === 'not_found' || error.code === 'gone' || error.code === 'conflict')) {
      const ctx = await pages.context(request, undefined);
      const key = typeof error.details?.key === 'string' ? error.details.key : 'link.invalid';
      const status = error.code === 'gone' ? 410 : error.code === 'conflict' ? 409 : 404;
      return pages.send(reply, status, 'link-invalid', ctx, { key: 'link.invalid_title' }, { message: ctx.t(key) });
    }
    throw error;
  };
  const listLabel = (ctx: { t: (key: string) => string }, list: { name: string } | undefined) =>
    list ? list.name : ctx.t('unsubscribe.this_list');

  await app.register(async (scope) => {
    // Mail clients post the one-click body as multipart or with no type at all; the body carries
    // nothing we need, so accept any and keep only a small limit.
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) =>
      done(null, body),
    );
    const limits = { rateLimit: { max: 60, timeWindow: 60_000 } };

    scope.get('/u/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        const state = await deps.unsubscribe.inspect(token);
        const ctx = await pages.context(request, state.list);
        const title = state.list
          ? { key: 'unsubscribe.title', values: { list: state.list.name } }
          : { key: 'unsubscribe.title_any' };
        return await pages.send(reply, 200, 'unsubscribe', ctx, title, {
          list: state.list ? { name: state.list.name } : undefined,
          list_label: listLabel(ctx, state.list),
          already_unsubscribed: state.alreadyUnsubscribed,
          action: unsubscribeUrl(deps.config.publicUrl, token),
          preferences_url: state.preferencesToken
            ? preferencesUrl(deps.config.publicUrl, state.preferencesToken)
            : undefined,
        });
      } catch (error) {
        return failure(request, reply, error);
      }
    });

    scope.post('/u/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const body = unsubscribeBody.parse(typeof request.body === 'object' ? request.body : undefined);
      try {
        const method = body?.via === 'page' ? 'unsubscribe page' : 'one-click';
        const { list, known } = await deps.unsubscribe.unsubscribe(token, clientContext(request, 'form', null), method);
        const state = await deps.unsubscribe.inspect(token);
        const ctx = await pages.context(request, list);
        return await pages.send(
          reply,
          200,
          'unsubscribed',
          ctx,
          { key: known ? 'unsubscribed.title' : 'unsubscribed.nobody_title' },
          {
            list: list ? { name: list.name } : undefined,
            list_label: listLabel(ctx, list),
            // A test copy's link, or an address we no longer hold: say honestly that nothing changed.
            nobody: !known,
            preferences_url: state.preferencesToken
              ? preferencesUrl(deps.config.publicUrl, state.preferencesToken)
              : undefined,
          },
        );
      } catch (error) {
        return failure(request, reply, error);
      }
    });

    /** The preference centre: each list with its state, leave one or all, join again a list one left. */
    const preferencesPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      message?: { key: string; values?: Record<string, string> },
      status = 200,
    ) => {
      const view = await deps.unsubscribe.preferences(token);
      const first = view.subscriptions[0];
      const ctx = await pages.context(request, first ? { slug: first.list } : undefined);
      const subscriptions = await Promise.all(
        view.subscriptions.map(async (s) => {
          const target = await deps.lists.signupTarget(s.list).catch(() => undefined);
          // The wording shown for a rejoin is the list's own in the page's language (or its language).
          const consent = target
            ? (target.consents.find((c) => c.language === ctx.lang) ?? pageLanguage(target, undefined).consent)
            : undefined;
          return {
            list: s.list,
            listName: s.listName,
            status: s.status,
            state: ctx.t(`preferences.status.${s.status}`),
            can_rejoin: view.canRejoin && s.status === 'unsubscribed' && consent !== undefined,
            consent_text: consent?.text ?? '',
            consent_version: consent?.version ?? '',
          };
        }),
      );
      return pages.send(
        reply,
        status,
        'preferences',
        ctx,
        { key: 'preferences.title' },
        {
          email: view.email,
          subscriptions,
          any_active: subscriptions.some((s) => s.status === 'confirmed' || s.status === 'pending'),
          action: preferencesUrl(deps.config.publicUrl, token),
          ...(message ? { message: ctx.t(message.key, message.values) } : {}),
        },
      );
    };

    scope.get('/p/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        return await preferencesPage(request, reply, token);
      } catch (error) {
        return failure(request, reply, error);
      }
    });

    scope.post('/p/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const body = parseInput(preferencesBody, request.body, 'The form');
      const context = clientContext(request, 'form', null);
      try {
        switch (body.action) {
          case 'leave': {
            await deps.unsubscribe.leave(token, body.list ?? '', context);
            const list = await deps.lists.signupTarget(body.list ?? '').catch(() => undefined);
            return await preferencesPage(request, reply, token, {
              key: 'preferences.left',
              values: { list: list?.list.name ?? body.list ?? '' },
            });
          }
          case 'leave_all':
            await deps.unsubscribe.leaveAll(token, context);
            return await preferencesPage(request, reply, token, { key: 'preferences.left_all' });
          case 'rejoin': {
            // The evidence's page is the preference centre, without its token.
            const { list, outcome } = await deps.unsubscribe.rejoin(
              token,
              body.list ?? '',
              body.consent_version ? Number(body.consent_version) : undefined,
              { ...context, source: `${deps.config.publicUrl}/p/` },
            );
            return await preferencesPage(
              request,
              reply,
              token,
              outcome === 'unchanged'
                ? undefined
                : outcome === 'queued'
                  ? { key: 'preferences.rejoined', values: { list: list.name } }
                  : { key: outcome === 'refused' ? 'preferences.rejoin_refused' : 'preferences.rejoin_wait' },
            );
          }
          case 'data_link': {
            const { email, sent } = await deps.unsubscribe.requestDataLink(token);
            return await preferencesPage(request, reply, token, {
              key: sent ? 'preferences.data_sent' : 'preferences.data_not_sent',
              values: { email },
            });
          }
        }
      } catch (error) {
        return failure(request, reply, error);
      }
    });

    const dataPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      token: string,
      message?: string,
      status = 200,
    ) => {
      const { email, list } = await deps.unsubscribe.dataOwner(token);
      const ctx = await pages.context(request, list ? { slug: list } : undefined);
      return pages.send(
        reply,
        status,
        'data',
        ctx,
        { key: 'data.title' },
        {
          email,
          action: dataUrl(deps.config.publicUrl, token),
          ...(message ? { message: ctx.t(message) } : {}),
        },
      );
    };

    scope.get('/d/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        return await dataPage(request, reply, token);
      } catch (error) {
        return failure(request, reply, error);
      }
    });

    scope.post('/d/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const body = parseInput(dataBody, request.body, 'The form');
      try {
        if (body.action === 'export') {
          return reply
            .header('Content-Disposition', 'attachment; filename="my-data.json"')
            .type('application/json; charset=utf-8')
            .send(JSON.stringify(await deps.unsubscribe.exportData(token), null, 2));
        }
        if (body.confirm !== 'yes') return await dataPage(request, reply, token, 'data.tick_box', 400);
        const { list } = await deps.unsubscribe.dataOwner(token);
        const ctx = await pages.context(request, list ? { slug: list } : undefined);
        await deps.unsubscribe.erase(token, clientContext(request, 'form', null));
        return await pages.send(
          reply,
          200,
          'error',
          ctx,
          { key: 'data.deleted_title' },
          {
            heading: ctx.t('data.deleted_title'),
            message: ctx.t('data.deleted_body'),
          },
        );
      } catch (error) {
        return failure(request, reply, error);
      }
    });
  });
}
