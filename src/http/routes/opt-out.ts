import type { FastifyInstance, FastifyReply } from 'fastify';
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
  action: z.enum(['leave', 'leave_all', 'data_link'], { message: 'Choose what to do.' }),
  list: z.string().max(100).optional(),
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
  const html = (reply: FastifyReply, status: number, page: string, data: Record<string, unknown>) =>
    deps.pages.render(page, data).then((text) => reply.code(status).type('text/html; charset=utf-8').send(text));
  const failure = (reply: FastifyReply, error: unknown) => {
    if (isAppError(error) && (error.code === 'not_found' || error.code === 'gone')) {
      return html(reply, error.code === 'gone' ? 410 : 404, 'link-invalid', {
        title: 'Link not valid',
        message: error.message,
      });
    }
    throw error;
  };

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
        return html(reply, 200, 'unsubscribe', {
          title: 'Unsubscribe',
          list: state.list ? { name: state.list.name } : undefined,
          already_unsubscribed: state.alreadyUnsubscribed,
          action: unsubscribeUrl(deps.config.publicUrl, token),
          preferences_url: state.preferencesToken
            ? preferencesUrl(deps.config.publicUrl, state.preferencesToken)
            : undefined,
        });
      } catch (error) {
        return failure(reply, error);
      }
    });

    scope.post('/u/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const body = unsubscribeBody.parse(typeof request.body === 'object' ? request.body : undefined);
      try {
        const method = body?.via === 'page' ? 'unsubscribe page' : 'one-click';
        const { list, known } = await deps.unsubscribe.unsubscribe(token, clientContext(request, 'form', null), method);
        const state = await deps.unsubscribe.inspect(token);
        return html(reply, 200, 'unsubscribed', {
          title: 'Unsubscribed',
          list: list ? { name: list.name } : undefined,
          // A test copy's link, or an address we no longer hold: say honestly that nothing changed.
          nobody: !known,
          preferences_url: state.preferencesToken
            ? preferencesUrl(deps.config.publicUrl, state.preferencesToken)
            : undefined,
        });
      } catch (error) {
        return failure(reply, error);
      }
    });

    const preferencesPage = async (reply: FastifyReply, token: string, message?: string, status = 200) => {
      const view = await deps.unsubscribe.preferences(token);
      return html(reply, status, 'preferences', {
        title: 'Your subscriptions',
        email: view.email,
        subscriptions: view.subscriptions.map((s) => ({ list: s.list, listName: s.listName, status: s.status })),
        action: preferencesUrl(deps.config.publicUrl, token),
        ...(message ? { message } : {}),
      });
    };

    scope.get('/p/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        return await preferencesPage(reply, token);
      } catch (error) {
        return failure(reply, error);
      }
    });

    scope.post('/p/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      const body = parseInput(preferencesBody, request.body, 'The form');
      const context = clientContext(request, 'form', null);
      try {
        switch (body.action) {
          case 'leave':
            await deps.unsubscribe.leave(token, body.list ?? '', context);
            return await preferencesPage(reply, token, 'Done: you left that list.');
          case 'leave_all':
            await deps.unsubscribe.leaveAll(token, context);
            return await preferencesPage(reply, token, 'Done: you will receive no more email from us.');
          case 'data_link': {
            const { email, sent } = await deps.unsubscribe.requestDataLink(token);
            return await preferencesPage(
              reply,
              token,
              sent
                ? `We sent a link to ${email}. It works for one hour; open it to download or delete your data.`
                : `We did not send another link to ${email}: we send at most one every 10 minutes and three a day, and none to an address that bounced or reported our mail as spam. Use the link we sent before.`,
            );
          }
        }
      } catch (error) {
        return failure(reply, error);
      }
    });

    const dataPage = async (reply: FastifyReply, token: string, message?: string, status = 200) => {
      const { email } = await deps.unsubscribe.dataOwner(token);
      return html(reply, status, 'data', {
        title: 'Your data',
        email,
        action: dataUrl(deps.config.publicUrl, token),
        ...(message ? { message } : {}),
      });
    };

    scope.get('/d/:token', { config: { page: true, ...limits } }, async (request, reply) => {
      const { token } = parseInput(params, request.params);
      try {
        return await dataPage(reply, token);
      } catch (error) {
        return failure(reply, error);
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
        if (body.confirm !== 'yes') {
          return await dataPage(reply, token, 'Tick the box to confirm that all your data should be deleted.', 400);
        }
        await deps.unsubscribe.erase(token, clientContext(request, 'form', null));
        return await html(reply, 200, 'error', {
          title: 'Deleted',
          heading: 'Your data is deleted',
          message: 'We keep only a one-way fingerprint of your address so that we never email it again.',
        });
      } catch (error) {
        return failure(reply, error);
      }
    });
  });
}
