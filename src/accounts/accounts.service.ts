import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { UserRole } from '../db/schema.js';
import { readSetting, writeSetting } from '../db/settings.repo.js';
import { AppError, invalidInput } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { normaliseEmail } from '../subscribers/email-address.js';
import * as repo from './accounts.repo.js';
import { hashPassword, passwordProblem, verifyPassword } from './password.js';
import { isRole, ROLES } from './roles.js';

/** A signed-in user as the console sees them. */
export interface SessionView {
  userId: number;
  email: string;
  role: UserRole;
  /** The token every form of this session carries (`_csrf`). */
  csrf: string;
  expiresAt: number;
}

export interface AccountsSettings {
  /** A session ends after this long without a request. */
  idleMs: number;
  /** And after this long at most. */
  maxMs: number;
  /** Failed logins in a row before the account is locked, and for how long. */
  lockAfter: number;
  lockMs: number;
}

export const DEFAULT_ACCOUNTS: AccountsSettings = {
  idleMs: 12 * 3_600_000,
  maxMs: 7 * 86_400_000,
  lockAfter: 5,
  lockMs: 15 * 60_000,
};

const SETUP_KEY = 'console:setup';
const SETUP_TTL_MS = 24 * 3_600_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const WRONG = 'The email address or the password is not right.';

/**
 * Console accounts: users with a role and a scrypt password hash, sessions kept in the database as
 * the SHA-256 of the cookie's token (a copy of the database opens no session), a lockout after
 * repeated failed logins, and the one-time setup link for the first owner.
 */
export function createAccountsService(deps: {
  database: Database;
  secret: string;
  clock?: Clock;
  settings?: AccountsSettings;
}) {
  const { db } = deps.database;
  const clock = deps.clock ?? systemClock;
  const settings = deps.settings ?? DEFAULT_ACCOUNTS;
  /** Failed logins of addresses without an account (bounded: the oldest are forgotten first). */
  const ghosts = new Map<string, { failures: number; lockedUntil: number | null }>();
  const csrfOf = (tokenHash: string) =>
    createHmac('sha256', deps.secret).update(`csrf:${tokenHash}`).digest('base64url');

  function emailOf(input: unknown): string {
    const check = normaliseEmail(input);
    if (!check.ok) throw invalidInput(check.reason);
    return check.address.email.toLowerCase();
  }

  async function startSession(userId: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    const expiresAt = now + settings.maxMs;
    await repo.insertSession(db, {
      token_hash: sha256(token),
      user_id: userId,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    });
    return { token, expiresAt };
  }

  async function createUser(input: { email: unknown; role: unknown; password: unknown }) {
    const email = emailOf(input.email);
    if (!isRole(input.role)) throw invalidInput(`The role must be one of ${ROLES.join(', ')}.`);
    const password = typeof input.password === 'string' ? input.password : '';
    const problem = passwordProblem(password);
    if (problem) throw invalidInput(problem);
    if (await repo.findUserByEmail(db, email)) throw new AppError('conflict', `There is already a user ${email}.`);
    const id = await repo.insertUser(
      db,
      { email, passwordHash: await hashPassword(password), role: input.role },
      clock.now(),
    );
    return { id, email, role: input.role };
  }

  return {
    createUser,

    async list() {
      return (await repo.allUsers(db)).map((u) => ({
        id: u.id,
        email: u.email,
        role: u.role,
        lastLoginAt: u.last_login_at === null ? null : new Date(u.last_login_at).toISOString(),
        locked: u.locked_until !== null && u.locked_until > clock.now(),
      }));
    },

    async hasUsers(): Promise<boolean> {
      return (await repo.countUsers(db)) > 0;
    },

    /** Checks the password (one answer for a wrong address or password); a session token on success. */
    async login(emailInput: unknown, password: unknown): Promise<{ token: string; expiresAt: number }> {
      const check = normaliseEmail(emailInput);
      const user = check.ok ? await repo.findUserByEmail(db, check.address.email.toLowerCase()) : undefined;
      const now = clock.now();
      // An address without an account locks the same way (kept in memory), so a stranger cannot
      // tell from the lockout which addresses have one.
      const key = check.ok ? check.address.email.toLowerCase() : String(emailInput).slice(0, 254).toLowerCase();
      const ghost = user ? undefined : ghosts.get(key);
      const lockedUntil = user ? user.locked_until : (ghost?.lockedUntil ?? null);
      if (lockedUntil && lockedUntil > now) {
        const minutes = Math.ceil((lockedUntil - now) / 60_000);
        throw new AppError(
          'rate_limited',
          `Too many failed logins: this account is locked for ${minutes} more minutes.`,
        );
      }
      const right =
        typeof password === 'string' && user !== undefined && (await verifyPassword(password, user.password_hash));
      if (!user || !right) {
        if (user) {
          const failures = user.failed_logins + 1;
          await repo.recordFailedLogin(db, user.id, failures >= settings.lockAfter ? now + settings.lockMs : null);
        } else {
          if (typeof password === 'string')
            // The same work for an unknown address, so the answer's timing does not tell who has an account.
            await verifyPassword(
              password,
              'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
            );
          const failures = (ghost?.failures ?? 0) + 1;
          if (ghosts.size >= 10_000 && !ghosts.has(key)) ghosts.delete(ghosts.keys().next().value as string);
          ghosts.set(key, { failures, lockedUntil: failures >= settings.lockAfter ? now + settings.lockMs : null });
        }
        throw new AppError('unauthorized', WRONG);
      }
      await repo.recordLogin(db, user.id, now);
      return startSession(user.id);
    },

    /** The session of a cookie's token; undefined when unknown, idle too long or past its end. */
    /**
     * A token for the forms before a session (login, setup): random, signed with the secret, so a
     * cookie planted from elsewhere (a sibling subdomain, plain http) cannot be paired with a field.
     */
    newFormToken(): string {
      const random = randomBytes(18).toString('base64url');
      return `${random}.${createHmac('sha256', deps.secret).update(`form:${random}`).digest('base64url').slice(0, 32)}`;
    },

    formTokenValid(token: unknown): boolean {
      if (typeof token !== 'string' || token.length > 100) return false;
      const [random, mac] = token.split('.');
      if (!random || !mac) return false;
      const expected = createHmac('sha256', deps.secret).update(`form:${random}`).digest('base64url').slice(0, 32);
      return mac.length === expected.length && timingSafeEqual(Buffer.from(mac), Buffer.from(expected));
    },

    async session(token: string | undefined): Promise<SessionView | undefined> {
      if (!token || token.length > 100) return undefined;
      const tokenHash = sha256(token);
      const row = await repo.findSession(db, tokenHash);
      const now = clock.now();
      if (!row) return undefined;
      if (row.expires_at <= now || now - row.last_seen_at > settings.idleMs) {
        await repo.deleteSession(db, tokenHash);
        return undefined;
      }
      // At most one write a minute per session.
      if (now - row.last_seen_at > 60_000) await repo.touchSession(db, tokenHash, now);
      return {
        userId: row.user_id,
        email: row.email,
        role: row.role,
        csrf: csrfOf(tokenHash),
        expiresAt: row.expires_at,
      };
    },

    async logout(token: string | undefined): Promise<void> {
      if (token) await repo.deleteSession(db, sha256(token));
    },

    /** True when a form's token is this session's. */
    csrfMatches(session: SessionView, given: unknown): boolean {
      if (typeof given !== 'string' || given.length !== session.csrf.length) return false;
      return timingSafeEqual(Buffer.from(given), Buffer.from(session.csrf));
    },

    /** A one-time link token for the first owner (only while there is no user); valid for a day. */
    async issueSetupToken(): Promise<string | undefined> {
      if ((await repo.countUsers(db)) > 0) return undefined;
      const token = randomBytes(24).toString('base64url');
      await writeSetting(db, SETUP_KEY, JSON.stringify({ hash: sha256(token), expiresAt: clock.now() + SETUP_TTL_MS }));
      return token;
    },

    /** True while `token` is the current setup token and no user exists. */
    async setupTokenValid(token: string): Promise<boolean> {
      const stored = await readSetting(db, SETUP_KEY);
      if (!stored || (await repo.countUsers(db)) > 0) return false;
      const { hash, expiresAt } = JSON.parse(stored) as { hash: string; expiresAt: number };
      return (
        expiresAt > clock.now() &&
        hash.length === sha256(token).length &&
        timingSafeEqual(Buffer.from(hash), Buffer.from(sha256(token)))
      );
    },

    /** Creates the first owner with the setup token (used once) and signs them in. */
    async completeSetup(token: string, input: { email: unknown; password: unknown }) {
      if (!(await this.setupTokenValid(token)))
        throw new AppError(
          'gone',
          'This setup link is used or expired; `listwarden users create --role owner` makes an owner.',
        );
      const user = await createUser({ email: input.email, role: 'owner', password: input.password });
      await writeSetting(db, SETUP_KEY, JSON.stringify({ hash: '', expiresAt: 0 }));
      return { user, ...(await startSession(user.id)) };
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
