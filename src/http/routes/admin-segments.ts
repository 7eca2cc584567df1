import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from '../deps.js';
import { parseInput } from '../validate.js';

const nameParams = z.object({ name: z.string().max(100) });
const listParams = z.object({ slug: z.string().max(100) });
const attributeParams = z.object({ slug: z.string().max(100), name: z.string().max(100) });
const emailParams = z.object({ email: z.string().max(600) });
const segmentBody = z.object({ name: z.string(), list: z.string(), where: z.string() }).strict();
const segmentPatch = z.object({ where: z.string() }).strict();
const attributeBody = z.object({ type: z.string() }).strict();
const subscriberPatch = z.object({ attributes: z.record(z.string(), z.unknown()) }).strict();

/**
 * Admin API for segments, the attribute types of a list and a subscriber's attributes; registered
 * inside the authenticated /api/v1 scope. The same as `listwarden segments|attributes` and
 * `subscribers update`.
 */
export function registerSegmentRoutes(scope: FastifyInstance, deps: HttpDeps): void {
  scope.get('/segments', async () => ({ segments: await deps.segments.list() }));
  scope.post('/segments', async (request, reply) =>
    reply.code(201).send(await deps.segments.create(parseInput(segmentBody, request.body, 'The segment'))),
  );
  scope.get('/segments/:name', async (request) => deps.segments.show(parseInput(nameParams, request.params).name));
  scope.get('/segments/:name/count', async (request) =>
    deps.segments.count(parseInput(nameParams, request.params).name),
  );
  scope.patch('/segments/:name', async (request) =>
    deps.segments.update(
      parseInput(nameParams, request.params).name,
      parseInput(segmentPatch, request.body, 'The change'),
    ),
  );
  scope.delete('/segments/:name', async (request) => deps.segments.remove(parseInput(nameParams, request.params).name));

  scope.get('/lists/:slug/attributes', async (request) =>
    deps.attributes.types(parseInput(listParams, request.params).slug),
  );
  scope.put('/lists/:slug/attributes/:name', async (request) => {
    const { slug, name } = parseInput(attributeParams, request.params);
    return deps.attributes.declare(slug, name, parseInput(attributeBody, request.body, 'The attribute').type);
  });
  scope.delete('/lists/:slug/attributes/:name', async (request) => {
    const { slug, name } = parseInput(attributeParams, request.params);
    return deps.attributes.forget(slug, name);
  });

  scope.patch('/subscribers/:email', async (request) =>
    deps.attributes.update(
      parseInput(emailParams, request.params).email,
      parseInput(subscriberPatch, request.body, 'The change').attributes,
      'json',
    ),
  );
}
