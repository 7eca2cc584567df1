import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_REPORT_BYTES } from '../../feedback/parse-feedback.js';
import type { HttpDeps } from '../deps.js';
import { parseInput } from '../validate.js';

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    campaign: z.coerce.number().int().positive().optional(),
    kind: z.enum(['hard_bounce', 'soft_bounce', 'complaint', 'auto_reply', 'notice']).optional(),
  })
  .strict();

/**
 * `POST /api/v1/feedback`: one raw RFC 822 message (a bounce or complaint a relay's webhook
 * forwards) as the body, `Content-Type: message/rfc822`. `GET /api/v1/feedback`: recent events.
 * Registered inside the authenticated /api/v1 scope.
 */
export function registerFeedbackRoutes(scope: FastifyInstance, deps: HttpDeps): void {
  scope.register(async (raw) => {
    raw.addContentTypeParser(
      ['message/rfc822', 'message/global', 'text/plain', 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: MAX_REPORT_BYTES },
      (_request, body, done) => done(null, body),
    );
    raw.post('/feedback', { bodyLimit: MAX_REPORT_BYTES, config: { rawMessage: true } }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body) || request.body.byteLength === 0) {
        return reply.code(400).send({
          error: 'invalid_input',
          message: 'Send one raw message (RFC 822) as the body, with Content-Type: message/rfc822.',
        });
      }
      const result = await deps.feedback.ingest(request.body, { channel: 'api' });
      return reply.code(result.outcome === 'quarantined' ? 422 : 202).send(
        result.outcome === 'quarantined'
          ? {
              error: 'unreadable',
              message: `The message was kept in quarantine (${result.quarantineId}): ${result.reason}.`,
              quarantineId: result.quarantineId,
            }
          : result,
      );
    });
  });
  scope.get('/feedback', async (request) =>
    deps.feedback.list(parseInput(listQuery, request.query, 'The query') ?? {}),
  );
}
