import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrandResolver } from '../brand/brand-resolver.js';
import type { Translator, MessageValues } from '../i18n/catalogue.js';
import { chooseLanguage, LANGUAGES, type Language } from '../i18n/languages.js';
import { pageLanguage, type ListsService } from '../lists/lists.service.js';
import type { TemplateRenderer } from '../templates/liquid.js';

/** Which list a public page is about (its language and brand follow it), if any. */
export type PageList = { slug: string } | undefined;

/** The language and brand a public page is shown in, and its consent wording in that language. */
export interface PublicPageContext {
  lang: Language;
  t: (key: string, values?: MessageValues) => string;
  data: Record<string, unknown>;
  consent: { id: number; version: number; text: string; language: string } | undefined;
}

/**
 * Public pages (signup, confirm, unsubscribe, preferences, data) in the list's language, or, where
 * the list allows, the browser's among those it has a consent text in; pages of no one list in the
 * browser's language. Each in the list's brand (or the shop's).
 */
export function createPublicPages(deps: {
  pages: TemplateRenderer;
  i18n: Translator;
  brand: BrandResolver;
  lists: Pick<ListsService, 'signupTarget'>;
}) {
  async function context(request: FastifyRequest, list: PageList): Promise<PublicPageContext> {
    const accept = request.headers['accept-language'];
    const target = list ? await deps.lists.signupTarget(list.slug).catch(() => undefined) : undefined;
    const chosen = target
      ? pageLanguage(target, accept)
      : { language: chooseLanguage(accept, LANGUAGES, 'en'), consent: undefined };
    const lang = chosen.language;
    const brand = await deps.brand(target?.list);
    return {
      lang,
      t: (key, values) => deps.i18n.t(lang, key, values),
      data: { lang, brand },
      consent: chosen.consent,
    };
  }

  return {
    context,

    /** Renders `page` with the context's language and brand; `title` is a catalogue key. */
    async send(
      reply: FastifyReply,
      status: number,
      page: string,
      ctx: PublicPageContext,
      title: { key: string; values?: MessageValues },
      data: Record<string, unknown>,
    ): Promise<FastifyReply> {
      const text = await deps.pages.render(page, { ...ctx.data, title: ctx.t(title.key, title.values), ...data });
      return reply
        .code(status)
        .header('Content-Language', ctx.lang)
        .header('Vary', 'Accept-Language')
        .type('text/html; charset=utf-8')
        .send(text);
    },
  };
}

export type PublicPages = ReturnType<typeof createPublicPages>;
