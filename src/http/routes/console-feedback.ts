import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FEEDBACK_KINDS } from '../../feedback/feedback-browse.js';
import type { FeedbackEventKind } from '../../db/schema.js';
import { invalidInput } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';

const ID = /^[1-9][0-9]{0,14}$/;
const KIND_WORDS: Record<FeedbackEventKind, string> = {
  hard_bounce: 'hard bounce',
  soft_bounce: 'soft bounce',
  complaint: 'complaint',
  auto_reply: 'automatic reply',
  notice: 'notice',
};

/** The feedback page's query: each value at most once, each a sentence when wrong. */
const FeedbackQuery = z.object({
  kind: z
    .string({ error: 'Choose one kind of report.' })
    .refine((k) => k === '' || FEEDBACK_KINDS.includes(k as FeedbackEventKind), {
      error: `The kind must be one of ${FEEDBACK_KINDS.join(', ')}.`,
    })
    .optional(),
  verified: z.enum(['', 'yes', 'no'], { error: 'Verified must be yes, no or empty (both).' }).optional(),
  before: z.string({ error: 'The page must be given once.' }).regex(ID, 'The page link is not valid.').optional(),
});
const PageQuery = FeedbackQuery.pick({ before: true });

/** The first problem of a query, as the sentence of a 400 page. */
function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw invalidInput(result.error.issues[0]?.message ?? 'The address of this page is not valid.');
}

function idParam(value: string, what: string): number {
  if (!ID.test(value)) throw invalidInput(`${what} is a number; this address does not name one.`);
  return Number(value);
}

/**
 * Feedback in the console: reports newest first (filters by kind and verified, a keyset on the
 * id), one report with what was read from it and why it was or was not trusted, the quarantine,
 * and a quarantined message's raw text (escaped, in <pre>). Nothing here changes state.
 */
export function registerConsoleFeedback(app: FastifyInstance, deps: HttpDeps): void {
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, page: string, data: object) =>
    renderConsole(deps, request, reply, status, page, data);
  const viewer = { config: { page: true }, preHandler: requireRole(deps, 'viewer') };
  const kinds = FEEDBACK_KINDS.map((k) => ({ value: k, words: KIND_WORDS[k] }));

  app.get('/console/feedback', viewer, async (request, reply) => {
    const parsed = FeedbackQuery.safeParse(request.query ?? {});
    const quarantine = await deps.feedbackBrowser.quarantine({ limit: 10 });
    const base = { title: 'Feedback · Listwarden', kinds, quarantine };
    if (!parsed.success) {
      return render(request, reply, 400, 'console-feedback', {
        ...base,
        kind: '',
        verified: '',
        events: [],
        error: parsed.error.issues[0]?.message ?? 'The filter is not valid.',
      });
    }
    const { kind = '', verified = '', before } = parsed.data;
    const page = await deps.feedbackBrowser.page({
      ...(kind ? { kind: kind as FeedbackEventKind } : {}),
      ...(verified ? { verified: verified === 'yes' } : {}),
      ...(before ? { before: Number(before) } : {}),
      limit: 50,
    });
    const nextQuery =
      page.next === null
        ? null
        : new URLSearchParams({
            ...(kind ? { kind } : {}),
            ...(verified ? { verified } : {}),
            before: String(page.next),
          }).toString();
    return render(request, reply, 200, 'console-feedback', {
      ...base,
      kind,
      verified,
      paged: before !== undefined,
      events: page.events.map((e) => ({
        ...e,
        kindWords: KIND_WORDS[e.kind] ?? e.kind,
        // The action of an unverified report usually says why already.
        whyShown: e.why && !e.action.includes(e.why) ? e.why : null,
      })),
      nextQuery,
    });
  });

  app.get('/console/feedback/quarantine', viewer, async (request, reply) => {
    const { before } = parseQuery(PageQuery, request.query);
    const quarantine = await deps.feedbackBrowser.quarantine({
      limit: 50,
      ...(before ? { before: Number(before) } : {}),
    });
    return render(request, reply, 200, 'console-quarantine', {
      title: 'Quarantine · Listwarden',
      quarantine,
      paged: before !== undefined,
      nextQuery: quarantine.next === null ? null : new URLSearchParams({ before: String(quarantine.next) }).toString(),
    });
  });

  app.get<{ Params: { id: string } }>('/console/feedback/quarantine/:id', viewer, async (request, reply) => {
    const message = await deps.feedbackBrowser.quarantined(idParam(request.params.id, 'A quarantined message'));
    return render(request, reply, 200, 'console-quarantined', {
      title: `Quarantined message ${message.id} · Listwarden`,
      message,
    });
  });

  app.get<{ Params: { id: string } }>('/console/feedback/:id', viewer, async (request, reply) => {
    const event = await deps.feedbackBrowser.event(idParam(request.params.id, 'A feedback report'));
    return render(request, reply, 200, 'console-feedback-event', {
      title: `Report ${event.id} · Listwarden`,
      event: { ...event, kindWords: KIND_WORDS[event.kind] ?? event.kind },
    });
  });
}
