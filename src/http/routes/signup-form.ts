import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isAppError } from '../../shared/app-error.js';
import { suggestDomainFix } from '../../subscribers/domain-typos.js';
import { normaliseEmail } from '../../subscribers/email-address.js';
import type { HttpDeps } from '../deps.js';
import { clientContext } from '../request-context.js';
import { parseInput } from '../validate.js';
import type { SignupLimit } from '../signup-limit.js';

const formBody = z.object({
  email: z.string().max(1000).optional(),
  name: z.string().max(1000).optional(),
  website: z.string().max(1000).optional(),
  consent_version: z
    .string()
    .regex(/^\d{1,6}$/)
    .optional()
    .catch(undefined),
  choice: z.enum(['suggested', 'as_typed']).optional().catch(undefined),
  suggested_email: z.string().max(1000).optional(),
});

const params = z.object({ list: z.string().max(100) });

/** The hosted signup form: works without JavaScript, labels every field, suggests typo fixes. */
export function registerSignupFormRoutes(app: FastifyInstance, deps: HttpDeps, signupLimit: SignupLimit): void {
  async function formPage(slug: string, extra: Record<string, unknown>) {
    const { list, consent } = await deps.lists.signupTarget(slug);
    return deps.pages.render('signup', {
      title: `Subscribe to ${list.name}`,
      list: { name: list.name, slug: list.slug },
      consent: { version: consent?.version ?? '', text: consent?.text ?? '' },
      action: `${deps.config.publicUrl}/s/${list.slug}`,
      email: '',
      name: '',
      ...extra,
    });
  }

  async function donePage(slug: string) {
    const { list } = await deps.lists.signupTarget(slug);
    return deps.pages.render('signup-done', {
      title: 'Check your inbox',
      list: { name: list.name },
      expires_days: Math.round(deps.config.confirmTokenTtlMs / 86_400_000),
    });
  }

  app.get('/s/:list', { config: { page: true } }, async (request, reply) => {
    const { list } = parseInput(params, request.params);
    return reply.type('text/html; charset=utf-8').send(await formPage(list, {}));
  });

  app.post('/s/:list', { config: { page: true }, onRequest: signupLimit }, async (request, reply) => {
    const { list } = parseInput(params, request.params);
    const body = parseInput(formBody, request.body, 'The form');
    reply.type('text/html; charset=utf-8');
    if (body.website) {
      // A bot filled the hidden field: answer as usual, store and send nothing.
      request.log.info({ list }, 'signup honeypot triggered');
      return reply.send(await donePage(list));
    }
    const typed = body.email ?? '';
    const email = body.choice === 'suggested' && body.suggested_email ? body.suggested_email : typed;
    if (body.choice === undefined) {
      const check = normaliseEmail(typed);
      const suggestion = check.ok ? suggestDomainFix(check.address.email) : undefined;
      if (suggestion)
        return reply.send(await formPage(list, { email: typed.trim(), name: body.name ?? '', suggestion }));
    }
    try {
      await deps.signup(
        {
          list,
          email,
          name: body.name,
          ...(body.consent_version ? { consentVersion: Number(body.consent_version) } : {}),
        },
        clientContext(request, 'form', `${deps.config.publicUrl}/s/${list}`),
      );
    } catch (error) {
      if (isAppError(error) && error.code === 'invalid_input') {
        return reply.code(400).send(await formPage(list, { email, name: body.name ?? '', error: error.message }));
      }
      throw error;
    }
    return reply.send(await donePage(list));
  });
}
