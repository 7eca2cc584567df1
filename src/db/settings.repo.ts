import type { Db } from './database.js';

/** Small key/value state that must survive a restart (the `settings` table). */
export async function readSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Every row whose key starts with `prefix`, keyed without it. */
export async function readSettingsWithPrefix(db: Db, prefix: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'like', `${prefix.replace(/[%_\\]/g, '')}%`)
    .execute();
  const out: Record<string, string> = {};
  for (const row of rows) if (row.key.startsWith(prefix)) out[row.key.slice(prefix.length)] = row.value;
  return out;
}

export async function deleteSetting(db: Db, key: string): Promise<void> {
  await db.deleteFrom('settings').where('key', '=', key).execute();
}

export async function recordSettingChange(
  db: Db,
  change: { key: string; oldValue: string | null; newValue: string | null; actor: string; at: number },
): Promise<void> {
  await db
    .insertInto('setting_changes')
    .values({
      key: change.key,
      old_value: change.oldValue,
      new_value: change.newValue,
      actor: change.actor,
      at: change.at,
    })
    .execute();
}

export async function settingChangesSince(
  db: Db,
  limit: number,
): Promise<Array<{ key: string; old_value: string | null; new_value: string | null; actor: string; at: number }>> {
  return db
    .selectFrom('setting_changes')
    .select(['key', 'old_value', 'new_value', 'actor', 'at'])
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
