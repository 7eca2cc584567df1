import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from '../deps.js';
import { parseInput } from '../validate.js';

const nameParams = z.object({ name: z.string().max(100) });
const createBody = z
  .object({ name: z.string(), list: z.string(), on: z.string(), cancelOn: z.array(z.string()).max(10).optional() })
  .strict();
const stepBody = z
  .object({
    after: z.string(),
    subject: z.string(),
    html: z.string(),
    text: z.string().nullable().optional(),
    format: z.enum(['html', 'mjml']).optional(),
    layout: z.enum(['newsletter', 'none']).optional(),
    force: z.boolean().optional(),
  })
  .strict();
const resumeBody = z.object({ force: z.boolean().optional() }).strict().optional();
const eventBody = z
  .object({ email: z.string().max(600), name: z.string().max(100), data: z.record(z.string(), z.unknown()).optional() })
  .strict();

/**
 * Admin API for automations and the shop's events; registered inside the authenticated /api/v1
 * scope. The same as `listwarden automations`.
 */
export function registerAutomationRoutes(scope: FastifyInstance, deps: HttpDeps): void {
  scope.get('/automations', async () => ({ automations: await deps.automations.list() }));
  scope.post('/automations', async (request, reply) =>
    reply.code(201).send(await deps.automations.create(parseInput(createBody, request.body, 'The automation'))),
  );
  scope.get('/automations/:name', async (request) =>
    deps.automations.show(parseInput(nameParams, request.params).name),
  );
  scope.post('/automations/:name/steps', async (request, reply) => {
    const { force, ...step } = parseInput(stepBody, request.body, 'The step');
    const view = await deps.automations.addStep(parseInput(nameParams, request.params).name, step, {
      force: force === true,
    });
    return reply.code(201).send(view);
  });
  scope.post('/automations/:name/pause', async (request) =>
    deps.automations.pause(parseInput(nameParams, request.params).name),
  );
  scope.post('/automations/:name/resume', async (request) =>
    deps.automations.resume(parseInput(nameParams, request.params).name, {
      force: parseInput(resumeBody, request.body, 'The request')?.force === true,
    }),
  );
  // An event of one person from the shop: starts the flows waiting for it, cancels those it ends.
  scope.post('/events', async (request, reply) =>
    reply.code(202).send(await deps.automations.event(parseInput(eventBody, request.body, 'The event'))),
  );
}
