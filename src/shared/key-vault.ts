import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (DKIM private keys, webhook signing secrets): AES-256-GCM under a key derived
 * (HKDF-SHA256) from the installation's secret and the purpose, so a copy of the database alone
 * opens nothing. Sealed with the current secret; opened with the current or any previous one
 * (secret rotation).
 */
const SALT = 'listwarden';

function keyFrom(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, purpose, 32));
}

/** base64 of iv (12 bytes) | tag (16 bytes) | ciphertext. */
export function seal(plain: Buffer, secret: string, aad: string, purpose: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret, purpose), iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** The plain bytes, or undefined when none of the secrets opens it (another secret, or tampered). */
export function open(sealed: string, secrets: readonly string[], aad: string, purpose: string): Buffer | undefined {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < 29) return undefined;
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret, purpose), bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    } catch {
      // Not this secret: try the next.
    }
  }
  return undefined;
}
