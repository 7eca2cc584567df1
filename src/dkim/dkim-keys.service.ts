import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { DkimKeyRow } from '../db/schema.js';
import type { DkimKey } from '../mail/dkim.js';
import { AppError, invalidInput, notFound } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { DNS_NAME } from '../shared/dns-names.js';
import { publicKeyRecordValue, recordName, recordText, zoneLine } from './dns-record.js';
import * as repo from './dkim-keys.repo.js';
import { open, seal } from './key-vault.js';

/** A key ready to sign with, and the row it came from. */
export type SigningKey = DkimKey & { id: number };

/** `dkim list` and what `generate` / `import` print. */
export interface DkimKeyView {
  domain: string;
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  status: DkimKeyRow['status'];
  /** False when this installation's secret cannot open the private key (another secret). */
  usable: boolean;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  record: { name: string; type: 'TXT'; value: string; zone: string };
}

/** A key as a campaign snapshot names it: its DNS name and a fingerprint of its public key. */
export interface ApprovedKey {
  domain: string;
  selector: string;
  fingerprint: string;
}

/** SHA-256 of the record's `p=` value, base64url. */
export function fingerprint(publicKey: string): string {
  return createHash('sha256').update(publicKey).digest('base64url');
}

const SELECTOR = /^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*$/;

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The authenticated data of a sealed key: it cannot be moved to another domain or selector. */
const aadOf = (domain: string, selector: string) => `${domain}/${selector}`;

function domainOf(input: unknown): string {
  const domain = typeof input === 'string' ? input.trim().toLowerCase().replace(/\.$/, '') : '';
  if (!DNS_NAME.test(domain) || domain.length > 253)
    throw invalidInput(`"${String(input).slice(0, 60)}" is not a domain name (e.g. shop.example).`);
  return domain;
}

function selectorOf(input: unknown): string {
  const selector = typeof input === 'string' ? input.trim().toLowerCase() : '';
  if (!SELECTOR.test(selector) || selector.length > 63)
    throw invalidInput(
      `"${String(input).slice(0, 60)}" is not a DKIM selector: letters, digits and hyphens (e.g. s2026).`,
    );
  return selector;
}

/** A selector for a new key when none is given: `lw` and the year and month, `e` for Ed25519. */
export function defaultSelector(now: number, ed25519: boolean): string {
  const d = new Date(now);
  return `lw${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${ed25519 ? 'e' : ''}`;
}

/**
 * DKIM keys kept in the database: generated or imported, the private key sealed under the
 * installation's secret, one active key per domain and algorithm (the next one waits as
 * `pending` until its DNS record is published and it is activated; the one it replaces is kept
 * as `retired` so campaigns approved with it still sign with it).
 */
export function createDkimKeysService(deps: { database: Database; secrets: readonly string[]; clock?: Clock }) {
  const { db } = deps.database;
  const clock = deps.clock ?? systemClock;
  const [secret] = deps.secrets;
  const opened = new Map<number, KeyObject | null>();
  let activeCache = new Map<string, { at: number; keys: Promise<SigningKey[]> }>();

  function privateKeyOf(row: DkimKeyRow): KeyObject | undefined {
    let key = opened.get(row.id);
    if (key === undefined) {
      const der = open(row.private_key, deps.secrets, aadOf(row.domain, row.selector));
      key = der ? createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) : null;
      opened.set(row.id, key);
    }
    return key ?? undefined;
  }

  function view(row: DkimKeyRow): DkimKeyView {
    return {
      domain: row.domain,
      selector: row.selector,
      algorithm: row.algorithm,
      status: row.status,
      usable: privateKeyOf(row) !== undefined,
      createdAt: new Date(row.created_at).toISOString(),
      activatedAt: iso(row.activated_at),
      retiredAt: iso(row.retired_at),
      record: {
        name: recordName(row.selector, row.domain),
        type: 'TXT',
        value: recordText(row.algorithm, row.public_key),
        zone: zoneLine(row.selector, row.domain, row.algorithm, row.public_key),
      },
    };
  }

  async function store(domain: string, selector: string, key: KeyObject): Promise<DkimKeyView> {
    const algorithm = key.asymmetricKeyType;
    if (algorithm !== 'rsa' && algorithm !== 'ed25519')
      throw invalidInput(`A DKIM key must be RSA or Ed25519, not ${String(algorithm)}.`);
    if (algorithm === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024)
      throw invalidInput('An RSA DKIM key needs at least 1024 bits (2048 recommended).');
    if (!secret) throw new AppError('unavailable', 'No secret to seal the key with.');
    const existing = await repo.findKey(db, domain, selector);
    if (existing) {
      throw new AppError(
        'conflict',
        `There is already a key for ${recordName(selector, domain)}; choose another selector (a key's record must never change under the same name).`,
      );
    }
    const now = clock.now();
    const id = await deps.database.transaction(async (trx) => {
      const active = (await repo.activeKeys(trx, domain)).some((k) => k.algorithm === algorithm);
      return repo.insertKey(trx, {
        domain,
        selector,
        algorithm,
        private_key: seal(key.export({ type: 'pkcs8', format: 'der' }), secret, aadOf(domain, selector)),
        public_key: publicKeyRecordValue(key),
        status: active ? 'pending' : 'active',
        created_at: now,
      });
    });
    activeCache = new Map();
    opened.set(id, key);
    return view((await repo.findKey(db, domain, selector)) as DkimKeyRow);
  }

  async function requireKey(domainInput: unknown, selectorInput: unknown): Promise<DkimKeyRow> {
    const domain = domainOf(domainInput);
    const selector = selectorOf(selectorInput);
    const row = await repo.findKey(db, domain, selector);
    if (!row)
      throw notFound(`There is no DKIM key ${recordName(selector, domain)}; \`listwarden dkim list\` shows them.`);
    return row;
  }

  return {
    /** Makes a key pair (RSA-2048, or Ed25519) and keeps it; the view holds the DNS record to publish. */
    async generate(input: { domain: unknown; selector?: unknown; ed25519?: boolean; bits?: unknown }) {
      const domain = domainOf(input.domain);
      const selector = selectorOf(input.selector ?? defaultSelector(clock.now(), input.ed25519 === true));
      const bits = input.bits === undefined ? 2048 : Number(input.bits);
      if (!input.ed25519 && ![1024, 2048, 3072, 4096].includes(bits))
        throw invalidInput('The key size must be 1024, 2048, 3072 or 4096 bits (2048 recommended).');
      const { privateKey } = input.ed25519
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: bits });
      return store(domain, selector, privateKey);
    },

    /** Keeps an existing private key (PEM, PKCS#1 or PKCS#8). */
    async importKey(input: { domain: unknown; selector: unknown; pem: string | Buffer }) {
      const domain = domainOf(input.domain);
      const selector = selectorOf(input.selector);
      let key: KeyObject;
      try {
        key = createPrivateKey(input.pem);
      } catch {
        throw invalidInput('The key file is not a PEM private key (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY).');
      }
      return store(domain, selector, key);
    },

    async list(): Promise<DkimKeyView[]> {
      return (await repo.allKeys(db)).map(view);
    },

    async show(domain: unknown, selector: unknown): Promise<DkimKeyView> {
      return view(await requireKey(domain, selector));
    },

    /** Signs with this key from now on; the domain's previous key of its kind is retired (kept). */
    async activate(domain: unknown, selector: unknown): Promise<DkimKeyView> {
      const row = await requireKey(domain, selector);
      if (!privateKeyOf(row))
        throw new AppError(
          'conflict',
          `The key ${recordName(row.selector, row.domain)} cannot be opened with this installation's secret.`,
        );
      await deps.database.transaction((trx) => repo.activateKey(trx, row, clock.now()));
      activeCache = new Map();
      return view((await repo.findKey(db, row.domain, row.selector)) as DkimKeyRow);
    },

    /** Deletes a key; the active one only with `force` (campaigns approved with it are then held). */
    async remove(domain: unknown, selector: unknown, options: { force?: boolean } = {}): Promise<void> {
      const row = await requireKey(domain, selector);
      if (row.status === 'active' && !options.force) {
        throw new AppError(
          'conflict',
          `${recordName(row.selector, row.domain)} is the active key: activate another key first, or remove it with --force (campaigns approved with it are then held).`,
        );
      }
      await repo.deleteKey(db, row.id);
      opened.delete(row.id);
      activeCache = new Map();
    },

    /** The keys mail from `domain` is signed with now (cached for a few seconds). */
    signingKeysFor(domainInput: string): Promise<SigningKey[]> {
      const domain = domainInput.toLowerCase();
      const now = clock.now();
      const cached = activeCache.get(domain);
      if (cached && now - cached.at < 5_000) return cached.keys;
      const keys = (async () =>
        (await repo.activeKeys(db, domain)).flatMap((row) => {
          const key = privateKeyOf(row);
          return key ? [{ id: row.id, domain: row.domain, selector: row.selector, key }] : [];
        }))();
      keys.catch(() => activeCache.delete(domain));
      activeCache.set(domain, { at: now, keys });
      return keys;
    },

    /** The active keys of a domain, as a campaign snapshot names them. */
    async activeFor(domain: string): Promise<ApprovedKey[]> {
      return (await repo.activeKeys(db, domain.toLowerCase())).map((row) => ({
        domain: row.domain,
        selector: row.selector,
        fingerprint: fingerprint(row.public_key),
      }));
    },

    /**
     * The keys a campaign was approved with (by name and public key), ready to sign; or the reason
     * one cannot be used (removed, replaced, or sealed under a secret this process does not have).
     */
    async resolve(wanted: readonly ApprovedKey[]): Promise<{ keys: SigningKey[] } | { problem: string }> {
      const keys: SigningKey[] = [];
      for (const w of wanted) {
        const row = await repo.findKey(db, w.domain, w.selector);
        const name = recordName(w.selector, w.domain);
        if (!row) return { problem: `the DKIM key ${name} it was approved with has been removed` };
        if (fingerprint(row.public_key) !== w.fingerprint)
          return { problem: `the DKIM key under ${name} is no longer the key it was approved with` };
        const key = privateKeyOf(row);
        if (!key)
          return {
            problem: `the DKIM key ${name} cannot be opened with this process's secret (its LISTWARDEN_SECRET, or the secret file in its data folder, is not the one the key was sealed with)`,
          };
        keys.push({ id: row.id, domain: row.domain, selector: row.selector, key });
      }
      return { keys };
    },

    /**
     * The key files named in the environment (LISTWARDEN_DKIM_*, the older way) are taken into
     * the store once, as the domain's active keys.
     */
    async adoptConfigured(files: ReadonlyArray<{ domain: string; selector: string; pem: Buffer }>): Promise<void> {
      for (const file of files) {
        const key = createPrivateKey(file.pem);
        const existing = await repo.findKey(db, file.domain, file.selector);
        if (existing) {
          if (existing.public_key !== publicKeyRecordValue(key)) {
            throw new AppError(
              'conflict',
              `The key file for ${recordName(file.selector, file.domain)} differs from the key stored under that name; remove LISTWARDEN_DKIM_* or the stored key (\`listwarden dkim remove\`).`,
            );
          }
          if (existing.status !== 'active') await repo.activateKey(db, existing, clock.now());
          continue;
        }
        await store(file.domain, file.selector, key);
        const stored = (await repo.findKey(db, file.domain, file.selector)) as DkimKeyRow;
        if (stored.status !== 'active') await repo.activateKey(db, stored, clock.now());
      }
      activeCache = new Map();
    },
  };
}

export type DkimKeysService = ReturnType<typeof createDkimKeysService>;
