import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/dialect-sql.js';
import { AppError, invalidInput } from '../shared/app-error.js';
import * as repo from './apikeys.repo.js';
import { systemClock, type Clock } from '../shared/clock.js';

const KEY_PREFIX = 'lw_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;

/** Keys carry 192 random bits, so one SHA-256 is enough to store them (no slow hash needed). */
function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface ApiKeyInfo {
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

/** API keys for the admin API: shown once at creation, stored only as a hash. */
export function createApiKeysService(database: Database, clock: Clock = systemClock) {
  const { db } = database;
  // Remember last-use writes per key for a minute instead of writing on every request.
  const lastTouched = new Map<number, number>();

  return {
    async create(nameInput: unknown): Promise<{ name: string; key: string }> {
      const name = typeof nameInput === 'string' ? nameInput.trim() : '';
      if (!NAME.test(name))
        throw invalidInput('A key name must be 1-64 letters, digits, spaces, dots, dashes or underscores.');
      const key = KEY_PREFIX + randomBytes(24).toString('base64url');
      try {
        await repo.insertApiKey(db, { name, hash: hashKey(key), prefix: key.slice(0, 8) }, clock.now());
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('conflict', `An API key named "${name}" already exists.`);
        throw error;
      }
      return { name, key };
    },

    /** Returns the key's name, or undefined when the key is unknown or revoked. */
    async authenticate(key: string): Promise<{ id: number; name: string } | undefined> {
      if (!key.startsWith(KEY_PREFIX) || key.length > 100) return undefined;
      const row = await repo.findActiveByHash(db, hashKey(key));
      if (!row) return undefined;
      const now = clock.now();
      if ((lastTouched.get(row.id) ?? 0) < now - 60_000) {
        lastTouched.set(row.id, now);
        await repo.touch(db, row.id, now);
      }
      return { id: row.id, name: row.name };
    },

    async list(): Promise<ApiKeyInfo[]> {
      const rows = await repo.allApiKeys(db);
      return rows.map((r) => ({
        name: r.name,
        prefix: r.prefix,
        createdAt: new Date(r.created_at).toISOString(),
        lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
        revoked: r.revoked_at !== null,
      }));
    },

    async revoke(name: string): Promise<void> {
      if (!(await repo.revokeByName(db, name, clock.now())))
        throw new AppError('not_found', `There is no active API key named "${name}".`);
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
