import { createPublicKey, type KeyObject } from 'node:crypto';

/** The `p=` of a DKIM record: base64 SPKI for RSA, the raw 32-byte key for Ed25519 (RFC 8463). */
export function publicKeyRecordValue(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return (key.asymmetricKeyType === 'ed25519' ? der.subarray(-32) : der).toString('base64');
}

/** Where the record is published. */
export function recordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** The TXT record's text. */
export function recordText(algorithm: 'rsa' | 'ed25519', publicKey: string): string {
  return `v=DKIM1; k=${algorithm}; p=${publicKey}`;
}

/**
 * The record as a zone-file line; the text is split into 255-byte strings, the most one TXT
 * string may hold (an RSA-2048 key does not fit in one).
 */
export function zoneLine(selector: string, domain: string, algorithm: 'rsa' | 'ed25519', publicKey: string): string {
  const text = recordText(algorithm, publicKey);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += 255) parts.push(`"${text.slice(i, i + 255)}"`);
  return `${recordName(selector, domain)}. IN TXT ( ${parts.join(' ')} )`;
}
