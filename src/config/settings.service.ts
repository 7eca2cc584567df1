import type { Database } from '../db/database.js';
import {
  deleteSetting,
  readSettingsWithPrefix,
  recordSettingChange,
  settingChangesSince,
  writeSetting,
} from '../db/settings.repo.js';
import { AppError } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { withoutControls } from '../shared/terminal-text.js';
import { loadConfig, type Config } from './config.js';
import { isSecretSetting, isSettingKey, SETTINGS, type SettingKey } from './settings-catalogue.js';

/** What a secret setting's value reads as. */
const HIDDEN = '(hidden)';

/** Stored settings are rows `setting:<key>` of the `settings` table. */
const PREFIX = 'setting:';

/** One setting as every view shows it: its value, where the value comes from, and whether the environment overrides what is stored. */
export interface SettingView {
  key: SettingKey;
  value: string | null;
  source: 'environment' | 'database' | 'default';
  /** Set in the environment while a different value is stored: the environment wins. */
  overridden: boolean;
  stored: string | null;
  variable: string;
  help: string;
}

function requireKey(key: unknown): SettingKey {
  if (typeof key !== 'string' || !isSettingKey(key)) {
    throw new AppError(
      'not_found',
      `There is no such setting; \`listwarden settings list\` shows them all (e.g. postal_address, guard.complaint_rate).`,
    );
  }
  return key;
}

/** Reads the stored settings (for the configuration at start and on reload). */
export function readStoredSettings(database: Database): Promise<Record<string, string>> {
  return readSettingsWithPrefix(database.db, PREFIX);
}

/**
 * Reads the stored settings again and updates `config` in place when they changed; the keys that
 * changed (a running server calls this every few seconds).
 */
export async function reloadStoredSettings(config: Config, database: Database): Promise<string[]> {
  const stored = await readStoredSettings(database);
  const before = config.storedSettings;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(stored)])].filter((k) => before[k] !== stored[k]);
  if (keys.length > 0) Object.assign(config, loadConfig(config.environment, stored));
  return keys;
}

/**
 * Settings in the database, typed and validated by the configuration's one schema: list, get,
 * set, unset, each change recorded with who, when, old and new. The running server picks a
 * change up by reloading (main.ts).
 */
export function createSettingsService(deps: { database: Database; config: Config; clock?: Clock }) {
  const { database, config } = deps;
  const clock = deps.clock ?? systemClock;

  function view(key: SettingKey, stored: Readonly<Record<string, string>>): SettingView {
    const { env: variable, help } = SETTINGS[key];
    const fromEnvironment = config.environment[variable];
    const storedValue = stored[key] ?? null;
    // A secret is shown only as set or not: never its value, to anyone.
    const shown = (v: string | null): string | null => (v !== null && isSecretSetting(key) ? HIDDEN : v);
    return {
      key,
      value: shown(fromEnvironment ?? storedValue),
      source: fromEnvironment !== undefined ? 'environment' : storedValue !== null ? 'database' : 'default',
      overridden: fromEnvironment !== undefined && storedValue !== null && storedValue !== fromEnvironment,
      stored: shown(storedValue),
      variable,
      help,
    };
  }

  async function change(key: SettingKey, value: string | null, actor: string): Promise<SettingView> {
    return database.transaction(async (trx) => {
      const stored = await readSettingsWithPrefix(trx, PREFIX);
      const old = stored[key] ?? null;
      const next = { ...stored };
      if (value === null) delete next[key];
      else next[key] = value;
      // The same schema as the environment: a value the server would refuse is refused here.
      const { [SETTINGS[key].env]: _overriding, ...environment } = config.environment;
      loadConfig(environment, next);
      if (value === null) await deleteSetting(trx, PREFIX + key);
      else await writeSetting(trx, PREFIX + key, value);
      if (old !== value) {
        const kept = (v: string | null) => (v !== null && isSecretSetting(key) ? HIDDEN : v);
        // A new secret is a change even when both sides read "(hidden)".
        await recordSettingChange(trx, { key, oldValue: kept(old), newValue: kept(value), actor, at: clock.now() });
      }
      return view(key, next);
    });
  }

  return {
    async list(): Promise<SettingView[]> {
      const stored = await readSettingsWithPrefix(database.db, PREFIX);
      return (Object.keys(SETTINGS) as SettingKey[]).map((key) => view(key, stored));
    },

    async get(key: unknown): Promise<SettingView> {
      return view(requireKey(key), await readSettingsWithPrefix(database.db, PREFIX));
    },

    async set(key: unknown, value: unknown, actor: string): Promise<SettingView> {
      const k = requireKey(key);
      if (typeof value !== 'string' || value.trim() === '' || value.length > 2000) {
        throw new AppError('invalid_input', 'A setting needs a value of 1 to 2000 characters; `unset` removes one.');
      }
      return change(k, withoutControls(value).trim(), actor);
    },

    async unset(key: unknown, actor: string): Promise<SettingView> {
      return change(requireKey(key), null, actor);
    },

    /** The latest changes, newest first. */
    async history(limit = 100) {
      return (await settingChangesSince(database.db, Math.min(Math.max(limit, 1), 1000))).map((c) => ({
        key: c.key,
        old: c.old_value,
        new: c.new_value,
        actor: c.actor,
        at: new Date(c.at).toISOString(),
      }));
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
