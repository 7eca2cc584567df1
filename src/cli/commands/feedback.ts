import type { Command } from 'commander';
import { messagesIn } from '../../feedback/message-files.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** `listwarden feedback …` */
export function registerFeedbackCommands(program: Command): void {
  const feedback = program.command('feedback').description('bounces, complaints and automatic replies');

  feedback
    .command('ingest <paths...>')
    .description('read bounces and complaints from .eml files, mbox files or folders of them')
    .option('--json', 'print JSON')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const summary = await withServices((s) => s.feedback.ingestMany(messagesIn(paths), 'file'));
      if (opts.json) return printJson(summary);
      const kinds = Object.entries(summary.kinds).map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ') || 'nothing applied';
      process.stdout.write(
        `Read ${summary.messages} messages: ${kinds}; ${summary.duplicates} already seen; ${summary.quarantined} unreadable (kept in quarantine).\n`,
      );
    });

  feedback
    .command('list')
    .description('recent bounces, complaints and automatic replies')
    .option('--limit <n>', 'how many', '50')
    .option('--campaign <id>', 'only this campaign')
    .option('--kind <kind>', 'hard_bounce, soft_bounce, complaint, auto_reply or notice')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: string; campaign?: string; kind?: string; json?: boolean }) => {
      const result = await withServices((s) => s.feedback.list({ limit: opts.limit, campaign: opts.campaign, kind: opts.kind }));
      if (opts.json) return printJson(result);
      printTable(result.events, ['at', 'kind', 'style', 'recipient', 'status', 'campaignId', 'action']);
      process.stdout.write(`${result.quarantined} unreadable messages in quarantine.\n`);
    });
}
