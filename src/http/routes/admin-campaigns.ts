import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from '../deps.js';
import { parseInput } from '../validate.js';

const createBody = z
  .object({
    list: z.string().optional(),
    segment: z.string().optional(),
    excludeLists: z.array(z.string()).max(20).optional(),
    subject: z.string(),
    subjectB: z.string().optional(),
    abSample: z.number().optional(),
    abWait: z.string().optional(),
    html: z.string(),
    text: z.string().nullable().optional(),
    format: z.enum(['html', 'mjml']).optional(),
    layout: z.enum(['newsletter', 'none']).optional(),
  })
  .strict();
const idParams = z.object({ id: z.coerce.number().int().positive() });
const sendBody = z.object({ at: z.string().optional(), force: z.boolean().optional() }).strict().optional();
const testBody = z.object({ to: z.string() }).strict();
const resumeBody = z.object({ force: z.boolean().optional() }).strict().optional();

/** Admin API for campaigns; registered inside the authenticated /api/v1 scope. */
export function registerCampaignRoutes(scope: FastifyInstance, deps: HttpDeps): void {
  scope.post('/campaigns', async (request, reply) => {
    const input = parseInput(createBody, request.body, 'The campaign');
    return reply.code(201).send(await deps.campaigns.create(input));
  });
  scope.get('/campaigns/:id', async (request) => deps.campaigns.status(parseInput(idParams, request.params).id));
  scope.post('/campaigns/:id/send', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const body = parseInput(sendBody, request.body, 'The request');
    return deps.campaigns.send(id, body?.at, { force: body?.force === true });
  });
  scope.get('/campaigns/:id/links', async (request) =>
    deps.tracking.report((await deps.campaigns.status(parseInput(idParams, request.params).id)).id),
  );
  scope.get('/campaigns/:id/check', async (request) => deps.campaigns.check(parseInput(idParams, request.params).id));
  scope.post('/campaigns/:id/test', async (request) => {
    const { id } = parseInput(idParams, request.params);
    return deps.campaigns.test(id, parseInput(testBody, request.body, 'The request').to);
  });
  for (const action of ['pause', 'cancel'] as const) {
    scope.post(`/campaigns/:id/${action}`, async (request) =>
      deps.campaigns[action](parseInput(idParams, request.params).id),
    );
  }
  scope.post('/campaigns/:id/resume', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const force = parseInput(resumeBody, request.body, 'The request')?.force === true;
    return deps.campaigns.resume(id, { force });
  });
}
