import { z } from 'zod';
import { AppError } from '../shared/app-error.js';

/**
 * DKIM key files named in the environment (the older way; keys now live in the database,
 * `listwarden dkim`): the variables and the rule that the parts go together. Pure.
 */
export const dkimVariables = {
  LISTWARDEN_DKIM_DOMAIN: z.string().trim().min(1).optional(),
  LISTWARDEN_DKIM_SELECTOR: z.string().trim().min(1).optional(),
  LISTWARDEN_DKIM_KEY_FILE: z.string().trim().min(1).optional(),
  LISTWARDEN_DKIM_ED25519_SELECTOR: z.string().trim().min(1).optional(),
  LISTWARDEN_DKIM_ED25519_KEY_FILE: z.string().trim().min(1).optional(),
};

type DkimVariables = { [K in keyof typeof dkimVariables]?: z.output<(typeof dkimVariables)[K]> };

export interface DkimFiles {
  domain: string;
  selector: string;
  keyFile: string;
  ed25519?: { selector: string; keyFile: string };
}

/** The configured key files, or undefined; a sentence when the parts do not go together. */
export function dkimOfVariables(e: DkimVariables): DkimFiles | undefined {
  const parts = [e.LISTWARDEN_DKIM_DOMAIN, e.LISTWARDEN_DKIM_SELECTOR, e.LISTWARDEN_DKIM_KEY_FILE];
  if (
    Boolean(e.LISTWARDEN_DKIM_ED25519_SELECTOR) !== Boolean(e.LISTWARDEN_DKIM_ED25519_KEY_FILE) ||
    (e.LISTWARDEN_DKIM_ED25519_SELECTOR && !e.LISTWARDEN_DKIM_DOMAIN)
  ) {
    throw new AppError(
      'invalid_input',
      'LISTWARDEN_DKIM_ED25519_SELECTOR and LISTWARDEN_DKIM_ED25519_KEY_FILE go together, next to the RSA key settings.',
    );
  }
  if (parts.some(Boolean) && !parts.every(Boolean)) {
    throw new AppError(
      'invalid_input',
      'LISTWARDEN_DKIM_DOMAIN, LISTWARDEN_DKIM_SELECTOR and LISTWARDEN_DKIM_KEY_FILE must be set together.',
    );
  }
  if (!e.LISTWARDEN_DKIM_DOMAIN) return undefined;
  return {
    domain: e.LISTWARDEN_DKIM_DOMAIN.toLowerCase(),
    selector: e.LISTWARDEN_DKIM_SELECTOR as string,
    keyFile: e.LISTWARDEN_DKIM_KEY_FILE as string,
    ...(e.LISTWARDEN_DKIM_ED25519_SELECTOR
      ? {
          ed25519: {
            selector: e.LISTWARDEN_DKIM_ED25519_SELECTOR,
            keyFile: e.LISTWARDEN_DKIM_ED25519_KEY_FILE as string,
          },
        }
      : {}),
  };
}
