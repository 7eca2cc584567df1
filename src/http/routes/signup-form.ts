import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isAppError, type AppError } from '../../shared/app-error.js';
import { suggestDomainFix } from '../../subscribers/domain-typos.js';
import { normaliseEmail } from '../../subscribers/email-address.js';
import type { HttpDeps } from '../deps.js';
import type { PublicPageContext } from '../public-pages.js';
import { clientContext, formPage } from '../request-context.js';
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
  /** The page the form was on: the hosted form's address, or the embedding page (the snippet fills it in). */
  page: z.string().max(2048).optional().catch(undefined),
});

const params = z.object({ list: z.string().max(100) });

/** The visitor's sentence for a refused address, in the page's language. */
function emailError(ctx: PublicPageContext, error: AppError): string {
  const problem = error.details?.problem;
  const domain = error.details?.domain;
  if (problem === 'undeliverable')
    return ctx.t('email.undeliverable', { domain: typeof domain === 'string' ? domain : '' });
  if (typeof problem === 'string') return ctx.t(`email.${problem}`);
  return ctx.t('email.invalid');
}

/** The hosted signup form: works without JavaScript, labels every field, suggests typo fixes. */
export function registerSignupFormRoutes(app: FastifyInstance, deps: HttpDeps, signupLimit: SignupLimit): void {
  const ownPage = (slug: string) => `${deps.config.publicUrl}/s/${encodeURIComponent(slug)}`;

  async function formPageView(request: FastifyRequest, slug: string, status: number, extra: Record<string, unknown>) {
    const ctx = await deps.publicPages.context(request, { slug });
    const { list } = await deps.lists.signupTarget(slug);
    return {
      send: (reply: Parameters<typeof deps.publicPages.send>[0]) =>
        deps.publicPages.send(
          reply,
          status,
          'signup',
          ctx,
          { key: 'signup.title', values: { list: list.name } },
          {
            list: { name: list.name, slug: list.slug },
            consent: { version: ctx.consent?.version ?? '', text: ctx.consent?.text ?? '' },
            action: ownPage(list.slug),
            page: ownPage(list.slug),
            email: '',
            name: '',
            ...extra,
          },
        ),
    };
  }

  async function donePage(request: FastifyRequest, reply: Parameters<typeof deps.publicPages.send>[0], slug: string) {
    const ctx = await deps.publicPages.context(request, { slug });
    const { list } = await deps.lists.signupTarget(slug);
    return deps.publicPages.send(
      reply,
      200,
      'signup-done',
      ctx,
      { key: 'signup_done.title' },
      { list: { name: list.name }, expires_days: Math.round(deps.config.confirmTokenTtlMs / 86_400_000) },
    );
  }

  app.get('/s/:list', { config: { page: true } }, async (request, reply) => {
    const { list } = parseInput(params, request.params);
    return (await formPageView(request, list, 200, {})).send(reply);
  });

  app.post('/s/:list', { config: { page: true }, onRequest: signupLimit }, async (request, reply) => {
    const { list } = parseInput(params, request.params);
    const body = parseInput(formBody, request.body, 'The form');
    if (body.website) {
      // A bot filled the hidden field: answer as usual, store and send nothing.
      request.log.info({ list }, 'signup honeypot triggered');
      return donePage(request, reply, list);
    }
    const typed = body.email ?? '';
    const email = body.choice === 'suggested' && body.suggested_email ? body.suggested_email : typed;
    const keep = { name: body.name ?? '', ...(body.page ? { page: body.page } : {}) };
    if (body.choice === undefined) {
      const check = normaliseEmail(typed);
      const suggestion = check.ok ? suggestDomainFix(check.address.email) : undefined;
      if (suggestion)
        return (await formPageView(request, list, 200, { email: typed.trim(), suggestion, ...keep })).send(reply);
    }
    // The page the form was on, when it is believable; else what the browser's headers say.
    const target = await deps.lists.signupTarget(list);
    const ownOrigin = new URL(deps.config.publicUrl).origin;
    const page = formPage(body.page, request.headers.origin, [ownOrigin, ...target.allowedOrigins]);
    const context = clientContext(request, 'form', ownPage(list));
    try {
      await deps.signup(
        {
          list,
          email,
          name: body.name,
          ...(body.consent_version ? { consentVersion: Number(body.consent_version) } : {}),
        },
        page ? { ...context, source: page } : context,
      );
    } catch (error) {
      if (isAppError(error) && error.code === 'invalid_input') {
        const message = emailError(await deps.publicPages.context(request, { slug: list }), error);
        return (await formPageView(request, list, 400, { email, ...keep, error: message })).send(reply);
      }
      throw error;
    }
    return donePage(request, reply, list);
  });
}
