import { consentDiff } from './consent-diff.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect-sql.js';
import type { ListRow, SubscriptionStatus } from '../db/schema.js';
import { AppError, invalidInput, notFound } from '../shared/app-error.js';
import {
  defaultConsentText,
  parseConsentText,
  parseListName,
  parseMailbox,
  parseOrigins,
  parseSlug,
} from './list-input.js';
import * as repo from './lists.repo.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { BrandSettings } from '../config/brand-config.js';
import { applyListBrand, listBrandOf } from '../brand/brand.js';
import { chooseLanguage, isLanguage, parseLanguage, type Language } from '../i18n/languages.js';
import { createTranslator, type Translator } from '../i18n/catalogue.js';
import { builtinLocalesDir } from '../templates/liquid.js';

/** A list as shown to admins (CLI and API). */
export interface ListView {
  id: number;
  slug: string;
  name: string;
  from: string;
  fromName: string | null;
  fromAddress: string;
  replyTo: string | null;
  allowedOrigins: string[];
  /** The language of its pages and mail. */
  language: Language;
  /** The browser's language chooses among the languages it has a consent text in. */
  browserLanguage: boolean;
  /** Engagement tracking of its campaign mail: both off unless turned on. */
  tracking: { clicks: boolean; opens: boolean };
  /** The list's brand fields that differ from the shop's. */
  brand: BrandSettings;
  /** The consent wording in the list's language. */
  consentText: { version: number; text: string; language: string };
  /** The current wording in each language the list has one in. */
  consentTexts: Array<{ language: string; version: number; text: string }>;
  counts?: Partial<Record<SubscriptionStatus, number>>;
  createdAt: string;
}

export interface ListInput {
  slug?: unknown;
  name?: unknown;
  from?: unknown;
  replyTo?: unknown;
  consentText?: unknown;
  /** The language `consentText` is in; the list's language when absent. */
  consentLanguage?: unknown;
  allowedOrigins?: unknown;
  language?: unknown;
  browserLanguage?: unknown;
  trackClicks?: unknown;
  trackOpens?: unknown;
  /** Brand fields to change: a value, or null / "" to use the shop's again. */
  brand?: unknown;
}

export type ListsService = ReturnType<typeof createListsService>;

/** What a public signup needs about a list; read on every signup, so cached briefly. */
export interface SignupTarget {
  list: ListRow;
  /** The wording in the list's language. */
  consent: repo.ConsentText | undefined;
  /** The current wording in every language the list has one in. */
  consents: readonly repo.ConsentText[];
  allowedOrigins: readonly string[];
}

/**
 * The language a page of the list is shown in, with the consent wording in that language: the
 * list's language, or, when the list allows it, the browser's among those it has a wording in. Pure.
 */
export function pageLanguage(
  target: Pick<SignupTarget, 'list' | 'consents' | 'consent'>,
  acceptLanguage: string | undefined,
): { language: Language; consent: repo.ConsentText | undefined } {
  const own = languageOf(target.list);
  const offered = target.list.browser_language ? target.consents.map((c) => c.language).filter(isLanguage) : [];
  const language = chooseLanguage(acceptLanguage, offered.includes(own) ? offered : [own, ...offered], own);
  return { language, consent: target.consents.find((c) => c.language === language) ?? target.consent };
}

/** A list's language (a stored value outside the five is read as English). */
export const languageOf = (list: { language: string }): Language => (isLanguage(list.language) ? list.language : 'en');

const parseFlag = (value: unknown, what: string): boolean => {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'yes' || value === '1') return true;
  if (value === 'false' || value === 'no' || value === '0') return false;
  throw new AppError('invalid_input', `${what} must be true or false.`);
};

const SIGNUP_CACHE_MS = 5000;

/** Lists and their versioned consent wording. */
export function createListsService(
  database: Database,
  clock: Clock = systemClock,
  translator: Translator = createTranslator({ builtinDir: builtinLocalesDir() }),
) {
  const { db } = database;
  /**
   * A list without the shop's own wording in its language shows our plain default in it (the shop's
   * wording is never translated or changed; the CLI says which versions are ours).
   */
  const defaultWording = (name: string, language: Language) =>
    language === 'en' ? defaultConsentText(name) : translator.t(language, 'consent.default', { list: name });
  // Changes made by this process clear the cache at once; other processes see them within 5 s.
  const signupCache = new Map<string, { value: Promise<SignupTarget | undefined>; expires: number }>();

  async function view(list: ListRow, counts?: Partial<Record<SubscriptionStatus, number>>): Promise<ListView> {
    const texts = await repo.currentConsentTexts(db, list.id);
    const consent = texts.find((t) => t.language === list.language);
    return {
      id: list.id,
      slug: list.slug,
      name: list.name,
      from: list.from_name ? `${list.from_name} <${list.from_address}>` : list.from_address,
      fromName: list.from_name,
      fromAddress: list.from_address,
      replyTo: list.reply_to,
      allowedOrigins: JSON.parse(list.allowed_origins) as string[],
      language: languageOf(list),
      browserLanguage: list.browser_language === 1,
      tracking: { clicks: list.track_clicks === 1, opens: list.track_opens === 1 },
      brand: listBrandOf(list.brand),
      consentText: { version: consent?.version ?? 0, text: consent?.text ?? '', language: list.language },
      consentTexts: texts.map((t) => ({ language: t.language, version: t.version, text: t.text })),
      ...(counts ? { counts } : {}),
      createdAt: new Date(list.created_at).toISOString(),
    };
  }

  async function consentsOf(list: ListRow) {
    const consents = await repo.currentConsentTexts(db, list.id);
    return { consents, consent: consents.find((c) => c.language === list.language) };
  }

  async function requireList(slug: string): Promise<ListRow> {
    const list = await repo.findListBySlug(db, slug);
    // The name asked for is not repeated: an answer never echoes what the client sent.
    if (!list) throw notFound('There is no such list.');
    return list;
  }

  return {
    requireList,

    async requireListById(id: number): Promise<ListRow> {
      const list = await repo.findListById(db, id);
      if (!list) throw notFound(`There is no list with id ${id}.`);
      return list;
    },

    /** The list, its current consent wording and CORS origins for public signup routes. */
    async signupTarget(slug: string): Promise<SignupTarget> {
      const now = clock.now();
      let entry = signupCache.get(slug);
      if (!entry || entry.expires <= now) {
        const value = repo
          .findListBySlug(db, slug)
          .then(async (list) =>
            list
              ? { list, ...(await consentsOf(list)), allowedOrigins: JSON.parse(list.allowed_origins) as string[] }
              : undefined,
          );
        entry = { value, expires: now + SIGNUP_CACHE_MS };
        if (signupCache.size > 1000) signupCache.clear();
        signupCache.set(slug, entry);
        value.catch(() => signupCache.delete(slug));
      }
      const target = await entry.value;
      if (!target) throw notFound('There is no such list.');
      return target;
    },

    async create(input: ListInput): Promise<ListView> {
      const slug = parseSlug(input.slug);
      const name = parseListName(input.name);
      const from = parseMailbox(input.from, 'The From address');
      const replyTo = input.replyTo ? parseMailbox(input.replyTo, 'The Reply-To address').address : null;
      const language = input.language === undefined ? 'en' : parseLanguage(input.language);
      const consentLanguage =
        input.consentLanguage === undefined ? language : parseLanguage(input.consentLanguage, 'The consent language');
      const consentText = input.consentText === undefined ? undefined : parseConsentText(input.consentText);
      if (input.consentLanguage !== undefined && consentText === undefined)
        throw invalidInput('--consent-language names the language of --consent-text; give the text too.');
      const allowedOrigins = input.allowedOrigins === undefined ? [] : parseOrigins(input.allowedOrigins);
      const browserLanguage =
        input.browserLanguage === undefined ? false : parseFlag(input.browserLanguage, 'browserLanguage');
      const brand = input.brand === undefined ? {} : applyListBrand({}, input.brand);
      const now = clock.now();
      try {
        const id = await database.transaction(async (trx) => {
          const listId = await repo.insertList(
            trx,
            {
              slug,
              name,
              fromName: from.name,
              fromAddress: from.address,
              replyTo,
              allowedOrigins,
              language,
              browserLanguage,
              trackClicks: input.trackClicks === undefined ? false : parseFlag(input.trackClicks, 'trackClicks'),
              trackOpens: input.trackOpens === undefined ? false : parseFlag(input.trackOpens, 'trackOpens'),
              brand: JSON.stringify(brand),
            },
            now,
          );
          // The list's language always has a wording: the shop's, or our default in it.
          if (consentText === undefined || consentLanguage !== language)
            await repo.addConsentText(trx, listId, defaultWording(name, language), language, now);
          if (consentText !== undefined) await repo.addConsentText(trx, listId, consentText, consentLanguage, now);
          return listId;
        });
        signupCache.delete(slug);
        return view((await repo.findListById(db, id)) as ListRow);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('conflict', `A list with the slug "${slug}" already exists.`);
        throw error;
      }
    },

    /** Changes a list; a new consent text becomes the next version, older versions stay as evidence. */
    async update(slugInput: unknown, input: ListInput): Promise<ListView> {
      const list = await requireList(parseSlug(slugInput));
      const now = clock.now();
      const from = input.from !== undefined ? parseMailbox(input.from, 'The From address') : undefined;
      const patch: Partial<repo.NewList> = {
        ...(input.name !== undefined ? { name: parseListName(input.name) } : {}),
        ...(from ? { fromName: from.name, fromAddress: from.address } : {}),
        ...(input.replyTo !== undefined
          ? { replyTo: input.replyTo ? parseMailbox(input.replyTo, 'The Reply-To address').address : null }
          : {}),
        ...(input.allowedOrigins !== undefined ? { allowedOrigins: parseOrigins(input.allowedOrigins) } : {}),
        ...(input.language !== undefined ? { language: parseLanguage(input.language) } : {}),
        ...(input.browserLanguage !== undefined
          ? { browserLanguage: parseFlag(input.browserLanguage, 'browserLanguage') }
          : {}),
        ...(input.trackClicks !== undefined ? { trackClicks: parseFlag(input.trackClicks, 'trackClicks') } : {}),
        ...(input.trackOpens !== undefined ? { trackOpens: parseFlag(input.trackOpens, 'trackOpens') } : {}),
        ...(input.brand !== undefined
          ? { brand: JSON.stringify(applyListBrand(listBrandOf(list.brand), input.brand)) }
          : {}),
      };
      const language = (patch.language ?? list.language) as Language;
      const consentLanguage =
        input.consentLanguage === undefined ? language : parseLanguage(input.consentLanguage, 'The consent language');
      const consentText = input.consentText !== undefined ? parseConsentText(input.consentText) : undefined;
      if (input.consentLanguage !== undefined && consentText === undefined)
        throw invalidInput('--consent-language names the language of --consent-text; give the text too.');
      await database.transaction(async (trx) => {
        await repo.updateList(trx, list.id, patch, now);
        if (consentText !== undefined) {
          const current = await repo.currentConsentText(trx, list.id, consentLanguage);
          if (consentText !== current?.text) await repo.addConsentText(trx, list.id, consentText, consentLanguage, now);
        }
        // A list moved to a language without a wording in it gets our default there (the shop gives
        // its own with --consent-text, which becomes the next version).
        if (!(await repo.currentConsentText(trx, list.id, language)))
          await repo.addConsentText(trx, list.id, defaultWording(patch.name ?? list.name, language), language, now);
      });
      signupCache.delete(list.slug);
      return view((await repo.findListById(db, list.id)) as ListRow);
    },

    /** Every version of the list's consent text, newest first, each with what changed from the one before. */
    async consentVersions(slugInput: unknown) {
      const list = await requireList(parseSlug(slugInput));
      const versions = await repo.consentTextVersions(db, list.id);
      return versions.map((v, i) => {
        // Compared with the version before it in the same language.
        const previous = versions.slice(i + 1).find((p) => p.language === v.language);
        return {
          version: v.version,
          language: v.language,
          text: v.text,
          since: new Date(Number(v.createdAt)).toISOString(),
          previousVersion: previous?.version ?? null,
          // The newest of its language is the one its forms show.
          current: versions.findIndex((p) => p.language === v.language) === i,
          changes: previous ? consentDiff(previous.text, v.text) : null,
        };
      });
    },

    async show(slugInput: unknown, options: { counts?: boolean } = {}): Promise<ListView> {
      const list = await requireList(parseSlug(slugInput));
      return view(list, options.counts ? await repo.subscriptionCountsOf(db, list.id) : undefined);
    },

    /** Slugs and names only (the public start page: no counts, cheap at any size). */
    async names(): Promise<Array<{ slug: string; name: string }>> {
      return (await repo.allLists(db)).map((l) => ({ slug: l.slug, name: l.name }));
    },

    async list(): Promise<ListView[]> {
      const [lists, counts] = await Promise.all([repo.allLists(db), repo.subscriptionCounts(db)]);
      return Promise.all(lists.map((l) => view(l, counts.get(l.id) ?? {})));
    },
  };
}
