import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../shared/app-error.js';
import type { Config } from './config.js';

/** The signing secrets: the first signs, all of them verify (rotation). */
export interface Secrets {
  current: string;
  previous: string[];
}

/**
 * Returns the secrets, creating `<dataDir>/secret` (mode 0600) on first start when the
 * environment gives none, so tokens stay valid across restarts.
 */
export function resolveSecrets(config: Config): Secrets {
  if (config.secret) return { current: config.secret, previous: config.previousSecrets };
  const file = join(config.dataDir, 'secret');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(48).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) chmodSync(file, 0o600);
  const current = readFileSync(file, 'utf8').trim();
  if (current.length < 32) {
    throw new AppError(
      'invalid_input',
      `The secret in ${file} is shorter than 32 characters; delete the file to generate a new one.`,
    );
  }
  return { current, previous: config.previousSecrets };
}
