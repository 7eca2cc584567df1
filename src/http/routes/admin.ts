import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ClientContext } from '../../consent/client-context.js';
import { AppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { clientContext } from '../request-context.js';
import { parseInput, requireJsonBody } from '../validate.js';
import { registerCampaignRoutes } from './admin-campaigns.js';
import { registerFeedbackRoutes } from './admin-feedback.js';
import { registerStreamRoutes } from './admin-streams.js';
import { registerSegmentRoutes } from './admin-segments.js';
import { registerAutomationRoutes } from './admin-automations.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyName?: string;
  }
}

const listBody = z
  .object({
    slug: z.string(),
    name: z.string(),
    from: z.string(),
    replyTo: z.string().nullable().optional(),
    consentText: z.string().optional(),
    consentLanguage: z.string().optional(),
    allowedOrigins: z.array(z.string()).optional(),
    language: z.string().optional(),
    browserLanguage: z.boolean().optional(),
    trackClicks: z.boolean().optional(),
    trackOpens: z.boolean().optional(),
    // Each field a value, or null to use the shop's; validated by the lists module.
    brand: z.record(z.string(), z.string().nullable()).optional(),
  })
  .strict();

const listPatch = listBody.omit({ slug: true }).partial().strict();

const subscriberBody = z
  .object({
    email: z.string(),
    list: z.string(),
    name: z.string().nullable().optional(),
    attributes: z.record(z.string(), z.unknown()).nullable().optional(),
    ip: z.string().max(64).optional(),
    userAgent: z.string().max(512).optional(),
    sourceUrl: z.string().max(2048).optional(),
  })
  .strict();

const pageQuery = z
  .object({
    list: z.string().max(100).optional(),
    status: z.string().max(20).optional(),
    after: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

const slugParams = z.object({ slug: z.string().max(100) });
const emailParams = z.object({ email: z.string().max(600) });

/** Admin API: lists and subscribers, behind `Authorization: Bearer <api key>`. */
export async function registerAdminRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest, reply) => {
        const header = request.headers.authorization;
        const key = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
        if (!key) {
          reply.header('WWW-Authenticate', 'Bearer realm="listwarden"');
          throw new AppError(
            'unauthorized',
            'This API needs an API key: send "Authorization: Bearer <key>" (create one with `listwarden apikeys create`).',
          );
        }
        const owner = await deps.apiKeys.authenticate(key);
        if (!owner) throw new AppError('forbidden', 'The API key is not valid or was revoked.');
        request.apiKeyName = owner.name;
      });
      scope.addHook('preValidation', requireJsonBody);

      const context = (request: FastifyRequest): ClientContext => ({
        ...clientContext(request, 'admin-api', null),
        source: `api key "${request.apiKeyName}"`,
        apiKeyName: request.apiKeyName as string,
      });

      // Settings: the same as `listwarden settings`; a change is in effect on the server within seconds.
      const settingParams = z.object({ key: z.string().max(100) });
      const settingBody = z.object({ value: z.string().max(2000) }).strict();
      const actor = (request: FastifyRequest) => `api key "${request.apiKeyName}"`;
      scope.get('/settings', async () => ({ settings: await deps.settings.list() }));
      scope.get('/settings/history', async () => ({ changes: await deps.settings.history() }));
      scope.get('/settings/:key', async (request) => deps.settings.get(parseInput(settingParams, request.params).key));
      scope.put('/settings/:key', async (request) =>
        deps.settings.set(
          parseInput(settingParams, request.params).key,
          parseInput(settingBody, request.body, 'The request').value,
          actor(request),
        ),
      );
      scope.delete('/settings/:key', async (request) =>
        deps.settings.unset(parseInput(settingParams, request.params).key, actor(request)),
      );

      scope.get('/lists', async () => ({ lists: await deps.lists.list() }));

      scope.post('/lists', async (request, reply) => {
        const input = parseInput(listBody, request.body, 'The list');
        return reply.code(201).send(await deps.lists.create(input));
      });

      scope.get('/lists/:slug', async (request) => deps.lists.show(parseInput(slugParams, request.params).slug));

      scope.patch('/lists/:slug', async (request) => {
        const { slug } = parseInput(slugParams, request.params);
        return deps.lists.update(slug, parseInput(listPatch, request.body, 'The change'));
      });

      scope.get('/subscribers', async (request) =>
        deps.subscribers.page(parseInput(pageQuery, request.query, 'The query')),
      );

      // Adding somebody by API starts the same double opt-in as the form: they get a confirmation mail.
      scope.post('/subscribers', async (request, reply) => {
        const input = parseInput(subscriberBody, request.body, 'The subscriber');
        const base = context(request);
        const result = await deps.signup(
          { list: input.list, email: input.email, name: input.name, attributes: input.attributes },
          { ...base, ip: input.ip ?? null, userAgent: input.userAgent ?? null, source: input.sourceUrl ?? base.source },
        );
        return reply.code(202).send({ status: result.status, confirmationMail: result.confirmationMail });
      });

      scope.get('/subscribers/:email', async (request) =>
        deps.subscribers.show(parseInput(emailParams, request.params).email),
      );

      scope.get('/subscribers/:email/export', async (request, reply) => {
        const data = await deps.subscribers.exportData(parseInput(emailParams, request.params).email);
        return reply.header('Content-Disposition', 'attachment; filename="subscriber-export.json"').send(data);
      });

      scope.delete('/subscribers/:email', async (request) => {
        const result = await deps.subscribers.erase(parseInput(emailParams, request.params).email, context(request));
        return { erased: result.erased, suppressed: true };
      });

      registerCampaignRoutes(scope, deps);
      registerFeedbackRoutes(scope, deps);
      registerStreamRoutes(scope, deps);
      registerSegmentRoutes(scope, deps);
      registerAutomationRoutes(scope, deps);
    },
    { prefix: '/api/v1' },
  );
}
