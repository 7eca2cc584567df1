import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';

/** The key files LISTWARDEN_DKIM_* name, read. */
export function configuredKeyFiles(
  dkim: NonNullable<Config['dkim']>,
): Array<{ domain: string; selector: string; pem: Buffer }> {
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`The DKIM key file ${file} cannot be read: ${(error as Error).message}.`);
    }
  };
  return [
    { domain: dkim.domain, selector: dkim.selector, pem: read(dkim.keyFile) },
    ...(dkim.ed25519
      ? [{ domain: dkim.domain, selector: dkim.ed25519.selector, pem: read(dkim.ed25519.keyFile) }]
      : []),
  ];
}
