import { open as openSealed, seal as sealWith } from '../shared/key-vault.js';

/**
 * DKIM private keys at rest (shared/key-vault.ts under the purpose below): a copy of the database
 * alone signs nothing.
 */
const PURPOSE = 'listwarden dkim private key v1';

/** base64 of iv (12 bytes) | tag (16 bytes) | ciphertext. */
export function seal(plain: Buffer, secret: string, aad: string): string {
  return sealWith(plain, secret, aad, PURPOSE);
}

/** The plain bytes, or undefined when none of the secrets opens it (another secret, or tampered). */
export function open(sealed: string, secrets: readonly string[], aad: string): Buffer | undefined {
  return openSealed(sealed, secrets, aad, PURPOSE);
}
