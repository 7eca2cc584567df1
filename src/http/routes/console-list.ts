import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { embedSnippet } from '../../lists/embed-snippet.js';
import { isAppError } from '../../shared/app-error.js';
import { languageOf } from '../../lists/lists.service.js';
import { isLanguage, LANGUAGES } from '../../i18n/languages.js';

/** The brand fields a list's page edits (the logo is the shop's, uploaded on the settings page). */
const BRAND_FIELDS = ['name', 'accent', 'shopUrl', 'privacyUrl', 'address'] as const;
import type { HttpDeps } from '../deps.js';
import { field, renderConsole, requireRole } from './console-auth.js';

/**
 * One list: its counts, the hosted form (a preview and the embed code with a copy button), the
 * consent text's versions with what changed between them, and an editor's changes.
 */
export function registerConsoleList(app: FastifyInstance, deps: HttpDeps): void {
  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    slug: string,
    status: number,
    notice: { saved?: boolean; error?: string; form?: Record<string, unknown> } = {},
  ) {
    const list = await deps.lists.show(slug, { counts: true });
    return renderConsole(deps, request, reply, status, 'console-list', {
      title: `${list.name} · Lists · Listwarden`,
      list,
      counts: {
        confirmed: list.counts?.confirmed ?? 0,
        pending: list.counts?.pending ?? 0,
        unsubscribed: list.counts?.unsubscribed ?? 0,
        bounced: list.counts?.bounced ?? 0,
      },
      formUrl: `${deps.config.publicUrl}/s/${list.slug}`,
      embed: embedSnippet(deps.config.publicUrl, list, list.consentText, (key, values) =>
        deps.i18n.t(list.language, key, values),
      ),
      versions: (await deps.lists.consentVersions(list.slug)).map((v) => ({
        ...v,
        languageName: isLanguage(v.language) ? deps.i18n.t(v.language, 'language.name') : v.language,
      })),
      languages: LANGUAGES.map((code) => ({ code, name: deps.i18n.t(code, 'language.name') })),
      form: notice.form ?? {
        name: list.name,
        from: list.from,
        replyTo: list.replyTo ?? '',
        allowedOrigins: list.allowedOrigins.join('\n'),
        consentText: list.consentText.text,
        consentLanguage: list.language,
        language: list.language,
        browserLanguage: list.browserLanguage,
        // The wording in each other language (empty: none, so the browser cannot choose it).
        otherTexts: LANGUAGES.filter((code) => code !== list.language).map((code) => ({
          code,
          name: deps.i18n.t(code, 'language.name'),
          text: list.consentTexts.find((t) => t.language === code)?.text ?? '',
        })),
        brand: list.brand,
      },
      ...notice,
    });
  }

  app.get<{ Params: { slug: string }; Querystring: { saved?: string } }>(
    '/console/lists/:slug',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    (request, reply) =>
      page(request, reply, request.params.slug, 200, request.query.saved === '1' ? { saved: true } : {}),
  );

  app.post<{ Params: { slug: string } }>(
    '/console/lists/:slug',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const text = (name: string) => {
        const value = field(request.body, name);
        return typeof value === 'string' ? value : '';
      };
      const language = text('language') || 'en';
      // The language the main consent text was shown in (the list's before this change).
      const shown = text('consentLanguage') || language;
      const brand = Object.fromEntries(BRAND_FIELDS.map((key) => [key, text(`brand_${key}`).trim()]));
      const form = {
        name: text('name'),
        from: text('from'),
        replyTo: text('replyTo'),
        allowedOrigins: text('allowedOrigins'),
        consentText: text('consentText'),
        consentLanguage: shown,
        language,
        browserLanguage: text('browserLanguage') === 'yes',
        otherTexts: LANGUAGES.filter((code) => code !== shown).map((code) => ({
          code,
          name: deps.i18n.t(code, 'language.name'),
          text: text(`consentText_${code}`),
        })),
        brand,
      };
      request.activity = { action: 'list.update', target: request.params.slug };
      try {
        const slug = request.params.slug;
        // The wording first, each in the language it was written in (a changed one becomes that
        // language's next version); then the rest, so a new language finds its wording.
        await deps.lists.update(slug, { consentText: form.consentText, consentLanguage: shown });
        for (const other of form.otherTexts) {
          if (other.text.trim() === '') continue;
          await deps.lists.update(slug, { consentText: other.text, consentLanguage: other.code });
        }
        const list = await deps.lists.update(slug, {
          name: form.name,
          from: form.from,
          replyTo: form.replyTo.trim() === '' ? null : form.replyTo,
          allowedOrigins: form.allowedOrigins
            .split(/[\s,]+/)
            .map((o) => o.trim())
            .filter((o) => o !== ''),
          language: form.language,
          browserLanguage: form.browserLanguage,
          // Empty brand fields use the shop's (settings brand.*); the logo is kept as it is.
          brand: Object.fromEntries(Object.entries(brand).map(([key, value]) => [key, value === '' ? null : value])),
        });
        return await reply.redirect(`/console/lists/${list.slug}?saved=1`, 303);
      } catch (error) {
        if (!isAppError(error) || error.code !== 'invalid_input') throw error;
        return page(request, reply, request.params.slug, 400, { error: error.message, form });
      }
    },
  );

  // The hosted form as a visitor sees it, inert (shown in a sandboxed frame on the list's page).
  app.get<{ Params: { slug: string } }>(
    '/console/lists/:slug/form-preview',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const { list, consent } = await deps.lists.signupTarget(request.params.slug);
      // In the list's own language and brand, as its visitors see it.
      const lang = languageOf(list);
      const html = await deps.pages.render('signup', {
        lang,
        brand: await deps.brand(list),
        title: deps.i18n.t(lang, 'signup.title', { list: list.name }),
        list: { name: list.name, slug: list.slug },
        consent: { version: consent?.version ?? '', text: consent?.text ?? '' },
        action: '#preview',
        page: '',
        email: '',
        name: '',
      });
      return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
    },
  );
}
