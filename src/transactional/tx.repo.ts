import type { Db } from '../db/database.js';
import type { TxTemplateRow } from '../db/schema.js';

/** Every query on `tx_templates` and `tx_requests` (transactional mail itself is `outbox` rows). */

export interface TemplateFields {
  name: string;
  format: 'liquid' | 'mjml';
  subject: string;
  html: string;
  text: string | null;
  fromAddress: string | null;
  essential: boolean;
}

export async function insertTemplate(db: Db, slug: string, fields: TemplateFields, now: number): Promise<number> {
  const row = await db
    .insertInto('tx_templates')
    .values({
      slug,
      name: fields.name,
      format: fields.format,
      subject: fields.subject,
      html: fields.html,
      text: fields.text,
      from_address: fields.fromAddress,
      essential: fields.essential ? 1 : 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateTemplate(db: Db, id: number, fields: TemplateFields, now: number): Promise<void> {
  await db
    .updateTable('tx_templates')
    .set({
      name: fields.name,
      format: fields.format,
      subject: fields.subject,
      html: fields.html,
      text: fields.text,
      from_address: fields.fromAddress,
      essential: fields.essential ? 1 : 0,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function templateBySlug(db: Db, slug: string): Promise<TxTemplateRow | undefined> {
  return db.selectFrom('tx_templates').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function allTemplates(db: Db): Promise<TxTemplateRow[]> {
  return db.selectFrom('tx_templates').selectAll().orderBy('slug').execute();
}

/** The outbox row an idempotency key made within the window, with the content's hash. */
export async function findRequest(
  db: Db,
  key: string,
  since: number,
): Promise<{ outboxId: number; hash: string } | undefined> {
  const row = await db
    .selectFrom('tx_requests')
    .select(['outbox_id', 'request_hash'])
    .where('idempotency_key', '=', key)
    .where('created_at', '>=', since)
    .executeTakeFirst();
  return row ? { outboxId: Number(row.outbox_id), hash: row.request_hash } : undefined;
}

/**
 * Keeps a key for the window: true when it is ours now (new, or older than the window and
 * replaced), false when another message holds it (a concurrent request with the same key).
 */
export async function saveRequest(
  db: Db,
  key: string,
  hash: string,
  outboxId: number,
  now: number,
  windowStart: number,
): Promise<boolean> {
  const result = await db
    .insertInto('tx_requests')
    .values({ idempotency_key: key, request_hash: hash, outbox_id: outboxId, created_at: now })
    .onConflict((oc) =>
      oc
        .column('idempotency_key')
        .doUpdateSet({ request_hash: hash, outbox_id: outboxId, created_at: now })
        .where('tx_requests.created_at', '<', windowStart),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function pruneRequests(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('tx_requests').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
