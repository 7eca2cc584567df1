import { createHash } from 'node:crypto';

/** The suppression identity of an address: hex SHA-256 of its lower-cased normalised form. */
export function suppressionHash(emailKey: string): string {
  return createHash('sha256').update(emailKey.toLowerCase()).digest('hex');
}
