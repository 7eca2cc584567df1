import type { Db } from '../db/database.js';
import type { ActivityRow, SessionRow, UserRole, UserRow } from '../db/schema.js';

export async function insertUser(
  db: Db,
  user: { email: string; passwordHash: string; role: UserRole },
  now: number,
): Promise<number> {
  const row = await db
    .insertInto('users')
    .values({ email: user.email, password_hash: user.passwordHash, role: user.role, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function allUsers(db: Db): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('id').execute();
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function recordFailedLogin(db: Db, id: number, lockedUntil: number | null): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1), locked_until: lockedUntil }))
    .where('id', '=', id)
    .execute();
}

export async function recordLogin(db: Db, id: number, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: null, last_login_at: now })
    .where('id', '=', id)
    .execute();
}

export async function insertSession(db: Db, session: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export function findSession(
  db: Db,
  tokenHash: string,
): Promise<(SessionRow & { email: string; role: UserRole }) | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.token_hash', 's.user_id', 's.created_at', 's.last_seen_at', 's.expires_at', 'u.email', 'u.role'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchSession(db: Db, tokenHash: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

export async function deleteExpiredSessions(db: Db, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}

export async function insertActivity(db: Db, entry: Omit<ActivityRow, 'id'>): Promise<void> {
  await db.insertInto('activity').values(entry).execute();
}

/** Newest first, by id (the primary key): `before` is the last id of the previous page. */
export function activityPage(db: Db, options: { before?: number; limit: number }): Promise<ActivityRow[]> {
  let query = db.selectFrom('activity').selectAll().orderBy('id', 'desc').limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.execute();
}
