import type { Command } from 'commander';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from '../../db/database.js';
import { printJson } from '../output.js';

/** The database, when one is configured or the default SQLite file exists; audits run without one. */
async function optionalDatabase(url: string, explicit: boolean): Promise<Database | undefined> {
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  // A SQLite file that is not there is never created by an audit (one home: see cli/context.ts).
  if (file !== undefined ? !existsSync(file) : !explicit) return undefined;
  const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
    import('../../db/database.js'),
    import('../../db/migrate.js'),
  ]);
  const database = openDatabase(url);
  await migrateToLatest(database);
  return database;
}

/** `npm audit --json` in Listwarden's install directory (it asks the registry). */
function npmAudit(): Promise<string | undefined> {
  const dir = fileURLToPath(new URL('../../..', import.meta.url));
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['audit', '--json', '--omit=dev'],
      { cwd: dir, timeout: 8000, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout) => resolve(stdout && stdout.trim().startsWith('{') ? stdout : error ? undefined : stdout),
    );
  });
}

/** `listwarden audit`: host hygiene, open relay, spambot signs, abuse reports. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(
      'audit this host so it cannot be hijacked as a spambot: accounts, SSH, patches, security suites, firewall, Postfix, open relay',
    )
    .option('--json', 'print {score, findings, passed, skipped} as JSON')
    .option('--root <dir>', 'read configuration files under this root (a mounted image); live probes are skipped', '/')
    .option(
      '--only <ids>',
      'comma-separated check ids or areas (accounts, ssh, patches, suites, firewall, postfix, relay, mail, abuse)',
    )
    .option('--fail-on <level>', 'exit non-zero only for findings at this level or worse: warning or critical')
    .option(
      '--mail-activity',
      'also look for spambot signs: port-25 connections around the MTA, mail Listwarden did not send, PHP mailers, the queue',
    )
    .option('--mta <host:port>', 'the MTA for the open relay probe (default LISTWARDEN_AUDIT_MTA, else 127.0.0.1:25)')
    .option(
      '--postfix-config <dir>',
      'Postfix’s config directory when it is not /etc/postfix (default LISTWARDEN_AUDIT_POSTFIX_CONFIG)',
    )
    .option('--npm-audit', 'check Listwarden’s dependencies with npm audit (asks the npm registry)')
    .action(
      async (opts: {
        json?: boolean;
        root?: string;
        only?: string;
        failOn?: string;
        mailActivity?: boolean;
        mta?: string;
        postfixConfig?: string;
        npmAudit?: boolean;
      }) => {
        // Loaded when the audit runs, not when the CLI starts.
        const [
          { foreignAbuseSince },
          { parseAuditInput },
          { exitCodeFor, runAudit },
          { openHost },
          { renderAudit },
          { loadConfig },
          { knownMessageIds },
          { insertAuditRun },
          { auditRunRow },
        ] = await Promise.all([
          import('../../audit/abuse-reports.repo.js'),
          import('../../audit/audit-input.js'),
          import('../../audit/audit.service.js'),
          import('../../audit/host.js'),
          import('../../audit/render.js'),
          import('../../config/config.js'),
          import('../../mail/outbox.repo.js'),
          import('../../audit/audit-runs.repo.js'),
          import('../../audit/audit-runs.service.js'),
        ]);
        const config = loadConfig();
        const input = parseAuditInput({
          ...(opts.root ? { root: opts.root } : {}),
          ...(opts.only ? { only: opts.only } : {}),
          ...(opts.failOn ? { failOn: opts.failOn } : {}),
          mta: opts.mta ?? config.audit.mta,
          postfixConfig: opts.postfixConfig ?? config.audit.postfixConfig,
        });
        const host = openHost(input.root);
        const database = await optionalDatabase(config.databaseUrl, config.databaseUrlGiven);
        try {
          const startedAt = host.now;
          const report = await runAudit(host, {
            ...(input.only ? { only: input.only } : {}),
            mailActivity: opts.mailActivity === true,
            mta: host.live ? input.mta : undefined,
            ours: database ? (ids) => knownMessageIds(database.db, ids) : undefined,
            foreignAbuse: database ? (since) => foreignAbuseSince(database.db, since) : undefined,
            npmAudit: opts.npmAudit ? npmAudit : undefined,
            foreignLimit: config.audit.foreignLimit,
            postfixConfig: input.postfixConfig,
          });
          // A whole audit of this host is kept, so the console shows it in the history of runs.
          if (database && host.live && !input.only)
            await database.transaction((trx) => insertAuditRun(trx, auditRunRow(report, startedAt, 'cli')));
          if (opts.json) printJson(report);
          else process.stdout.write(renderAudit(report));
          process.exitCode = exitCodeFor(report.findings, input.failOn);
        } finally {
          await database?.close();
        }
      },
    );
}
