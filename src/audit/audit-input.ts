import { statSync } from 'node:fs';
import { AppError } from '../shared/app-error.js';
import { HOST_PORT } from '../shared/dns-names.js';

export type FailOn = 'suggestion' | 'warning' | 'critical';

export interface AuditInput {
  root: string;
  only: string[] | undefined;
  failOn: FailOn;
  mta: { host: string; port: number };
  postfixConfig: string | undefined;
}

const ID = /^[a-z0-9-]+(\.[a-z0-9-]+)?$/;

/** Validates the `listwarden audit` options; each refusal is one sentence. */
export function parseAuditInput(raw: {
  root?: string;
  only?: string;
  failOn?: string;
  mta?: string;
  postfixConfig?: string | undefined;
}): AuditInput {
  const root = raw.root ?? '/';
  const stat = statSync(root, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new AppError('invalid_input', `--root ${root.slice(0, 200)} is not a directory.`);
  const only = raw.only
    ?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = only?.find((id) => !ID.test(id));
  if (bad !== undefined)
    throw new AppError(
      'invalid_input',
      `--only takes check ids or areas such as ssh,postfix.vrfy; "${bad.slice(0, 60)}" is not one.`,
    );
  const failOn = (raw.failOn ?? 'suggestion').toLowerCase();
  if (failOn !== 'suggestion' && failOn !== 'warning' && failOn !== 'critical')
    throw new AppError('invalid_input', '--fail-on must be warning or critical.');
  const mta = raw.mta ?? '127.0.0.1:25';
  if (!HOST_PORT.test(mta)) throw new AppError('invalid_input', '--mta must be host:port.');
  const colon = mta.lastIndexOf(':');
  const host = colon > 0 && /^\d+$/.test(mta.slice(colon + 1)) ? mta.slice(0, colon).replace(/^\[|\]$/g, '') : mta;
  const port = colon > 0 && /^\d+$/.test(mta.slice(colon + 1)) ? Number(mta.slice(colon + 1)) : 25;
  const postfixConfig = raw.postfixConfig?.trim();
  if (postfixConfig !== undefined && !postfixConfig.startsWith('/'))
    throw new AppError('invalid_input', '--postfix-config must be an absolute directory, e.g. /etc/postfix-out.');
  return {
    root,
    only: only && only.length > 0 ? only : undefined,
    failOn,
    mta: { host, port },
    postfixConfig: postfixConfig || undefined,
  };
}
