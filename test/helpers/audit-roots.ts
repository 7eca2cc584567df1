import { cpSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURES = new URL('../fixtures/audit/', import.meta.url).pathname;
const DAY_MS = 86_400_000;

export interface AuditRoot {
  dir: string;
  cleanup(): void;
}

/**
 * A copy of test/fixtures/audit/<name> with what depends on today's date written in:
 * /etc/shadow change days, ClamAV signature and apt list ages.
 */
export function auditRoot(name: 'good' | 'bad', now = Date.now()): AuditRoot {
  const dir = mkdtempSync(join(tmpdir(), `lw-audit-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const today = Math.floor(now / DAY_MS);
  const install = today - 400;
  const hash = '$y$j9T$Tf0Xx0l7vW3aJb5kq2Uu4.$1mYHc6v0dZQJm6pXhD6ZyH1Y0j1nE1sO3WcO7c6Vq1B';
  const system = (user: string) => `${user}:*:${install}:0:99999:7:::`;
  const shadow =
    name === 'good'
      ? [
          `root:${hash}:${today - 30}:0:99999:7:::`,
          system('daemon'),
          system('bin'),
          system('www-data'),
          `postfix:!:${install}::::::`,
          `shop:${hash}:${today - 100}:0:99999:7:::`,
        ]
      : [
          `root:${hash}:${install}:0:99999:7:::`,
          system('daemon'),
          system('bin'),
          system('www-data'),
          `postfix:!:${install}::::::`,
          `shop:${hash}:${today - 100}:0:99999:7:::`,
          `deploy::${today - 20}:0:99999:7:::`,
          `toor:${hash}:${today - 5}:0:99999:7:::`,
        ];
  writeFileSync(join(dir, 'etc/shadow'), `${shadow.join('\n')}\n`, { mode: 0o640 });
  const signatures = new Date(name === 'good' ? now - DAY_MS / 2 : now - 30 * DAY_MS);
  utimesSync(join(dir, 'var/lib/clamav/daily.cld'), signatures, signatures);
  const lists = join(dir, 'var/lib/apt/lists');
  for (const file of readdirSync(lists))
    utimesSync(join(lists, file), new Date(now - DAY_MS / 4), new Date(now - DAY_MS / 4));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
