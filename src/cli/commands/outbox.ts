import type { Command } from 'commander';

import { withServices } from '../context.js';

import { printJson, printTable } from '../output.js';

/** `listwarden outbox …` */
export function registerOutboxCommands(program: Command): void {
  const outbox = program.command('outbox').description('the outbound mail queue');

  outbox
    .command('status')
    .description('messages per status')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { countByStatus } = await import('../../mail/outbox.repo.js');
      const { repermissionBacklog } = await import('../../consent/consent.repo.js');
      const [counts, backlog] = await withServices((s) =>
        Promise.all([countByStatus(s.database.db), repermissionBacklog(s.database.db)]),
      );
      const repermission = {
        waiting: backlog.waiting,
        lastAt: backlog.lastAt === null ? null : new Date(backlog.lastAt).toISOString(),
      };
      if (opts.json) return printJson({ ...counts, repermission });
      printTable(
        Object.entries(counts).map(([status, count]) => ({ status, count })),
        ['status', 'count'],
      );
      // Imported addresses whose confirmation mail is not queued yet (LISTWARDEN_REPERMISSION_PER_HOUR).
      process.stdout.write(
        repermission.waiting > 0
          ? `\nre-permission mails waiting: ${repermission.waiting}; the last goes out at ${repermission.lastAt}\n`
          : '\nre-permission mails waiting: none\n',
      );
    });

  outbox
    .command('drain')
    .description('send every message that is due now, then exit (for use without `serve`)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { releaseDueRepermissions } = await import('../../consent/repermission.js');
      const processed = await withServices(async (s) => {
        while ((await releaseDueRepermissions(s.database, s.clock.now())) > 0);
        const processed = await s.worker.drain();
        await s.campaigns.finishCompleted();
        return processed;
      });
      if (opts.json) printJson({ processed });
      else process.stdout.write(`Processed ${processed} message(s).\n`);
    });
}
