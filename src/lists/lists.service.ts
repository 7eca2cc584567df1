import { consentDiff } from './consent-diff.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect-sql.js';
import type { ListRow, SubscriptionStatus } from '../db/schema.js';
import { AppError, notFound } from '../shared/app-error.js';
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
  consentText: { version: number; text: string };
  counts?: Partial<Record<SubscriptionStatus, number>>;
  createdAt: string;
}

export interface ListInput {
  slug?: unknown;
  name?: unknown;
  from?: unknown;
  replyTo?: unknown;
  consentText?: unknown;
  allowedOrigins?: unknown;
}

export type ListsService = ReturnType<typeof createListsService>;

/** What a public signup needs about a list; read on every signup, so cached briefly. */
export interface SignupTarget {
  list: ListRow;
  consent: repo.ConsentText | undefined;
  allowedOrigins: readonly string[];
}

const SIGNUP_CACHE_MS = 5000;

/** Lists and their versioned consent wording. */
export function createListsService(database: Database, clock: Clock = systemClock) {
  const { db } = database;
  // Changes made by this process clear the cache at once; other processes see them within 5 s.
  const signupCache = new Map<string, { value: Promise<SignupTarget | undefined>; expires: number }>();

  async function view(list: ListRow, counts?: Partial<Record<SubscriptionStatus, number>>): Promise<ListView> {
    const consent = await repo.currentConsentText(db, list.id);
    return {
      id: list.id,
      slug: list.slug,
      name: list.name,
      from: list.from_name ? `${list.from_name} <${list.from_address}>` : list.from_address,
      fromName: list.from_name,
      fromAddress: list.from_address,
      replyTo: list.reply_to,
      allowedOrigins: JSON.parse(list.allowed_origins) as string[],
      consentText: { version: consent?.version ?? 0, text: consent?.text ?? '' },
      ...(counts ? { counts } : {}),
      createdAt: new Date(list.created_at).toISOString(),
    };
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
        const value = repo.findListBySlug(db, slug).then(async (list) =>
          list
            ? {
                list,
                consent: await repo.currentConsentText(db, list.id),
                allowedOrigins: JSON.parse(list.allowed_origins) as string[],
              }
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
      const consentText =
        input.consentText === undefined ? defaultConsentText(name) : parseConsentText(input.consentText);
      const allowedOrigins = input.allowedOrigins === undefined ? [] : parseOrigins(input.allowedOrigins);
      const now = clock.now();
      try {
        const id = await database.transaction(async (trx) => {
          const listId = await repo.insertList(
            trx,
            { slug, name, fromName: from.name, fromAddress: from.address, replyTo, allowedOrigins },
            now,
          );
          await repo.addConsentText(trx, listId, consentText, now);
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
      };
      const consentText = input.consentText !== undefined ? parseConsentText(input.consentText) : undefined;
      await database.transaction(async (trx) => {
        await repo.updateList(trx, list.id, patch, now);
        const current = await repo.currentConsentText(trx, list.id);
        if (consentText !== undefined && consentText !== current?.text)
          await repo.addConsentText(trx, list.id, consentText, now);
      });
      signupCache.delete(list.slug);
      return view((await repo.findListById(db, list.id)) as ListRow);
    },

    /** Every version of the list's consent text, newest first, each with what changed from the one before. */
    async consentVersions(slugInput: unknown) {
      const list = await requireList(parseSlug(slugInput));
      const versions = await repo.consentTextVersions(db, list.id);
      return versions.map((v, i) => {
        const previous = versions[i + 1];
        return {
          version: v.version,
          text: v.text,
          since: new Date(Number(v.createdAt)).toISOString(),
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
