import type { Db } from '../db/database.js';
import type { ListRow, SubscriptionStatus } from '../db/schema.js';

export interface NewList {
  slug: string;
  name: string;
  fromName: string | null;
  fromAddress: string;
  replyTo: string | null;
  allowedOrigins: string[];
  language: string;
  browserLanguage: boolean;
  trackClicks?: boolean;
  trackOpens?: boolean;
  /** JSON of the list's brand overrides. */
  brand: string;
}

export interface ConsentText {
  id: number;
  version: number;
  text: string;
  createdAt: number;
  language: string;
}

const CONSENT_COLUMNS = ['id', 'version', 'text', 'created_at', 'language'] as const;
const consentText = (row: { id: number; version: number; text: string; created_at: number; language: string }) => ({
  id: row.id,
  version: row.version,
  text: row.text,
  createdAt: row.created_at,
  language: row.language,
});

/** Inserts a list and returns its id. */
export async function insertList(db: Db, list: NewList, now: number): Promise<number> {
  const row = await db
    .insertInto('lists')
    .values({
      slug: list.slug,
      name: list.name,
      from_name: list.fromName,
      from_address: list.fromAddress,
      reply_to: list.replyTo,
      allowed_origins: JSON.stringify(list.allowedOrigins),
      language: list.language,
      browser_language: list.browserLanguage ? 1 : 0,
      track_clicks: list.trackClicks ? 1 : 0,
      track_opens: list.trackOpens ? 1 : 0,
      brand: list.brand,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Changes the given fields of a list. */
export async function updateList(db: Db, id: number, patch: Partial<NewList>, now: number): Promise<void> {
  await db
    .updateTable('lists')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.fromAddress !== undefined
        ? { from_address: patch.fromAddress, from_name: patch.fromName ?? null }
        : {}),
      ...(patch.replyTo !== undefined ? { reply_to: patch.replyTo } : {}),
      ...(patch.allowedOrigins !== undefined ? { allowed_origins: JSON.stringify(patch.allowedOrigins) } : {}),
      ...(patch.language !== undefined ? { language: patch.language } : {}),
      ...(patch.browserLanguage !== undefined ? { browser_language: patch.browserLanguage ? 1 : 0 } : {}),
      ...(patch.trackClicks !== undefined ? { track_clicks: patch.trackClicks ? 1 : 0 } : {}),
      ...(patch.trackOpens !== undefined ? { track_opens: patch.trackOpens ? 1 : 0 } : {}),
      ...(patch.brand !== undefined ? { brand: patch.brand } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Adds the next version of a list's consent wording in a language. Version numbers count per list
 * across its languages, so a version names exactly one wording (and the form's hidden field too).
 */
export async function addConsentText(
  db: Db,
  listId: number,
  text: string,
  language: string,
  now: number,
): Promise<ConsentText> {
  const last = await db
    .selectFrom('consent_texts')
    .select((s) => s.fn.max('version').as('version'))
    .where('list_id', '=', listId)
    .executeTakeFirst();
  const version = Number(last?.version ?? 0) + 1;
  const row = await db
    .insertInto('consent_texts')
    .values({ list_id: listId, version, text, language, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, version, text, createdAt: now, language };
}

export async function findListBySlug(db: Db, slug: string): Promise<ListRow | undefined> {
  return db.selectFrom('lists').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function findListById(db: Db, id: number): Promise<ListRow | undefined> {
  return db.selectFrom('lists').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function allLists(db: Db): Promise<ListRow[]> {
  return db.selectFrom('lists').selectAll().orderBy('slug').execute();
}

/** The wording shown now on a list's forms in a language. */
export async function currentConsentText(db: Db, listId: number, language: string): Promise<ConsentText | undefined> {
  const row = await db
    .selectFrom('consent_texts')
    .select(CONSENT_COLUMNS)
    .where('list_id', '=', listId)
    .where('language', '=', language)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? consentText(row) : undefined;
}

/** The current wording of each language a list has one in. */
export async function currentConsentTexts(db: Db, listId: number): Promise<ConsentText[]> {
  const seen = new Set<string>();
  return (await consentTextVersions(db, listId)).filter((t) => !seen.has(t.language) && seen.add(t.language));
}

/** A specific version of a list's wording (what a form showed when it was loaded). */
export async function consentTextByVersion(db: Db, listId: number, version: number): Promise<ConsentText | undefined> {
  const row = await db
    .selectFrom('consent_texts')
    .select(CONSENT_COLUMNS)
    .where('list_id', '=', listId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? consentText(row) : undefined;
}

/** A consent text by its id (what a signup event names). */
export async function consentTextById(db: Db, id: number): Promise<ConsentText | undefined> {
  const row = await db.selectFrom('consent_texts').select(CONSENT_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? consentText(row) : undefined;
}

/** Subscriptions per status for every list. */
/** Subscriptions per status of one list (a range of the (list_id, status, subscriber_id) index). */
export async function subscriptionCountsOf(
  db: Db,
  listId: number,
): Promise<Partial<Record<SubscriptionStatus, number>>> {
  const rows = await db
    .selectFrom('subscriptions')
    .select((s) => ['status', s.fn.countAll<number>().as('count')])
    .where('list_id', '=', listId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

export async function subscriptionCounts(db: Db): Promise<Map<number, Partial<Record<SubscriptionStatus, number>>>> {
  const rows = await db
    .selectFrom('subscriptions')
    .select((s) => ['list_id', 'status', s.fn.countAll<number>().as('count')])
    .groupBy(['list_id', 'status'])
    .execute();
  const counts = new Map<number, Partial<Record<SubscriptionStatus, number>>>();
  for (const row of rows) {
    const entry = counts.get(row.list_id) ?? {};
    entry[row.status] = Number(row.count);
    counts.set(row.list_id, entry);
  }
  return counts;
}

/** Every version of a list's wording, newest first. */
export async function consentTextVersions(db: Db, listId: number): Promise<ConsentText[]> {
  const rows = await db
    .selectFrom('consent_texts')
    .select(CONSENT_COLUMNS)
    .where('list_id', '=', listId)
    .orderBy('version', 'desc')
    .execute();
  return rows.map(consentText);
}
