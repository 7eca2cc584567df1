import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createServices, type Services } from '../../src/main.js';
import { createLogger } from '../../src/shared/logger.js';
import type { Clock } from '../../src/shared/clock.js';
import type { DialectCase } from './databases.js';
import { NO_DNS, TEST_SECRET } from './listwarden.js';

export interface TestServices {
  services: Services;
  captureDir: string;
  cleanup(): Promise<void>;
}

/** The real composition root on a fresh database of `dialect`, with the capture transport. */
export async function servicesFor(
  dialect: DialectCase,
  env: Record<string, string> = {},
  options: { clock?: Clock } = {},
): Promise<TestServices> {
  const fresh = await dialect.fresh();
  const dir = mkdtempSync(join(tmpdir(), 'lw-svc-'));
  const captureDir = join(dir, 'outbox');
  const config = loadConfig({
    LISTWARDEN_DATABASE_URL: fresh.url,
    LISTWARDEN_SECRET: TEST_SECRET,
    LISTWARDEN_SMTP_URL: `capture:${captureDir}`,
    LISTWARDEN_DATA_DIR: join(dir, 'data'),
    LISTWARDEN_TEMPLATES_DIR: join(dir, 'templates'),
    LISTWARDEN_VERIFY_DOMAINS: 'false',
    LISTWARDEN_PUBLIC_URL: 'https://mail.shop.test',
    LISTWARDEN_DNS_SERVERS: NO_DNS,
    ...env,
  });
  const services = await createServices(config, { logger: createLogger('silent'), ...options });
  return {
    services,
    captureDir,
    async cleanup() {
      await services.close();
      await fresh.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Signs each person up to the list through the real form path and confirms them with their token. */
export async function confirmedSignups(
  services: Services,
  list: { slug: string; id: number },
  people: ReadonlyArray<{ email: string; name?: string }>,
): Promise<void> {
  for (const person of people) {
    await services.signup({ list: list.slug, ...person }, FORM);
    const view = await services.subscribers.show(person.email);
    await services.confirm.confirm(services.tokens.sign('confirm', view.id, list.id), FORM);
  }
}

export const FORM = {
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (test)',
  source: 'https://shop.test/newsletter',
  channel: 'form' as const,
};
