import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ClientContext } from '../../consent/client-context.js';
import { AppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { clientContext } from '../request-context.js';
import { parseInput, requireJsonBody } from '../validate.js';
import type { SignupLimit } from '../signup-limit.js';

const body = z
  .object({
    email: z.string(),
    name: z.string().nullable().optional(),
    attributes: z.record(z.string(), z.unknown()).nullable().optional(),
    consentVersion: z.number().int().positive().optional(),
    // Only honoured with an API key: a shop's backend passes on its visitor's evidence.
    ip: z.string().max(64).optional(),
    userAgent: z.string().max(512).optional(),
    sourceUrl: z.string().max(2048).optional(),
  })
  .strict();

const params = z.object({ list: z.string().max(100) });

/**
 * JSON signup: 202 {"status":"pending"} for every valid address, whatever its state, so the
 * answer never tells whether somebody is subscribed. Browsers may call it only from the list's
 * configured origins.
 */
export async function registerSignupApiRoute(
  app: FastifyInstance,
  deps: HttpDeps,
  signupLimit: SignupLimit,
): Promise<void> {
  const ownOrigin = new URL(deps.config.publicUrl).origin;

  async function allowedOrigins(request: FastifyRequest): Promise<string[]> {
    // Preflight requests reach the plugin's OPTIONS * route, so read the slug from the path.
    const slug = /^\/api\/v1\/public\/lists\/([^/?]+)\//.exec(request.url)?.[1];
    const target = slug ? await deps.lists.signupTarget(slug).catch(() => undefined) : undefined;
    return target ? [ownOrigin, ...target.allowedOrigins] : [ownOrigin];
  }

  await app.register(async (scope) => {
    await scope.register(cors, {
      hook: 'preHandler',
      // Server-to-server calls carry no Origin and need no CORS headers at all.
      delegator: async (request: FastifyRequest) =>
        request.headers.origin === undefined
          ? { origin: false }
          : {
              origin: await allowedOrigins(request),
              methods: ['POST'],
              allowedHeaders: ['Content-Type', 'Authorization'],
              maxAge: 600,
            },
    });

    scope.post(
      '/api/v1/public/lists/:list/subscribe',
      { onRequest: signupLimit, preValidation: requireJsonBody },
      async (request, reply) => {
        const { list } = parseInput(params, request.params);
        const origin = request.headers.origin;
        if (origin && !(await allowedOrigins(request)).includes(origin)) {
          throw new AppError('forbidden', 'This site is not allowed to sign people up to this list.');
        }
        const input = parseInput(body, request.body, 'The signup');
        let context: ClientContext = clientContext(request, 'api', 'api');
        const auth = request.headers.authorization;
        if (auth) {
          const key = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
          const owner = key ? await deps.apiKeys.authenticate(key) : undefined;
          if (!owner) throw new AppError('forbidden', 'The API key is not valid.');
          context = {
            ip: input.ip ?? context.ip,
            userAgent: input.userAgent ?? context.userAgent,
            source: input.sourceUrl ?? `api key "${owner.name}"`,
            channel: 'api',
            apiKeyName: owner.name,
          };
        } else if (input.ip || input.userAgent || input.sourceUrl) {
          throw new AppError('unauthorized', 'ip, userAgent and sourceUrl may only be passed with an API key.');
        }
        await deps.signup(
          {
            list,
            email: input.email,
            name: input.name,
            attributes: input.attributes,
            ...(input.consentVersion ? { consentVersion: input.consentVersion } : {}),
          },
          context,
        );
        return reply.code(202).send({ status: 'pending' });
      },
    );
  });
}
