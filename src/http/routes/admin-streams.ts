import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_TX_BODY_BYTES, txBody } from '../../transactional/tx-input.js';
import type { HttpDeps } from '../deps.js';
import { parseInput } from '../validate.js';

const idParams = z.object({ id: z.coerce.number().int().positive() });
const slugParams = z.object({ slug: z.string().max(100) });

const templateBody = z
  .object({
    slug: z.string().max(100),
    name: z.string().max(200).optional(),
    format: z.enum(['liquid', 'mjml']).optional(),
    subject: z.string().max(998),
    html: z.string().max(1_000_000),
    text: z.string().max(1_000_000).nullable().optional(),
    from: z.string().max(400).nullable().optional(),
    essential: z.boolean().optional(),
  })
  .strict();
const templatePatch = templateBody.omit({ slug: true }).partial().strict();

const endpointBody = z
  .object({
    url: z.string().max(2000),
    events: z.union([z.array(z.string().max(40)).max(20), z.string().max(400)]),
    description: z.string().max(200).nullable().optional(),
  })
  .strict();
const endpointPatch = endpointBody.partial().extend({ enabled: z.boolean().optional() }).strict();
const logQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }).strict();

/**
 * Admin API for the shop streams, inside the authenticated /api/v1 scope: transactional mail
 * (`POST /tx` → 202 with the message's id), its templates, and outgoing webhook endpoints.
 */
export function registerStreamRoutes(scope: FastifyInstance, deps: HttpDeps): void {
  scope.post('/tx', { bodyLimit: MAX_TX_BODY_BYTES }, async (request, reply) => {
    const accepted = await deps.tx.accept(parseInput(txBody, request.body, 'The message'));
    return reply.code(202).send(accepted);
  });
  scope.get('/tx/:id', async (request) => deps.tx.status(parseInput(idParams, request.params).id));

  scope.get('/templates', async () => ({ templates: await deps.txTemplates.list() }));
  scope.post('/templates', async (request, reply) => {
    const { slug, ...input } = parseInput(templateBody, request.body, 'The template');
    return reply.code(201).send(await deps.txTemplates.create(slug, input));
  });
  scope.get('/templates/:slug', async (request) => deps.txTemplates.show(parseInput(slugParams, request.params).slug));
  scope.patch('/templates/:slug', async (request) =>
    deps.txTemplates.update(
      parseInput(slugParams, request.params).slug,
      parseInput(templatePatch, request.body, 'The change'),
    ),
  );

  scope.get('/webhooks', async () => ({ webhooks: await deps.webhooks.list(), events: deps.webhooks.events }));
  scope.post('/webhooks', async (request, reply) =>
    reply.code(201).send(await deps.webhooks.create(parseInput(endpointBody, request.body, 'The endpoint'))),
  );
  scope.get('/webhooks/:id', async (request) => {
    const { id } = parseInput(idParams, request.params);
    return deps.webhooks.show(id, parseInput(logQuery, request.query, 'The query').limit ?? 20);
  });
  scope.patch('/webhooks/:id', async (request) =>
    deps.webhooks.update(
      parseInput(idParams, request.params).id,
      parseInput(endpointPatch, request.body, 'The change'),
    ),
  );
  scope.delete('/webhooks/:id', async (request) => deps.webhooks.remove(parseInput(idParams, request.params).id));
}
