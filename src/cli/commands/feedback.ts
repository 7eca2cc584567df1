import type { Command } from 'commander';

import { AppError } from '../../shared/app-error.js';

import { withoutControls } from '../../shared/terminal-text.js';

import { withServices } from '../context.js';

import { printJson, printTable } from '../output.js';
import { createProgress } from '../progress.js';

/** `listwarden feedback …` */
export function registerFeedbackCommands(program: Command): void {
  const feedback = program.command('feedback').description('bounces, complaints and automatic replies');

  feedback
    .command('ingest <paths...>')
    .description('read bounces and complaints from .eml files, mbox files or folders of them')
    .option('--json', 'print JSON')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const { countFiles, messagesIn } = await import('../../feedback/message-files.js');
      // A bar on a terminal (progress lines with --json), by the files read so far.
      const terminal = process.stderr.isTTY;
      const progress = createProgress({
        total: terminal || opts.json ? await countFiles(paths) : 0,
        json: opts.json === true,
        terminal,
        noun: 'messages',
      });
      let read = 0;
      async function* counted() {
        for await (const raw of messagesIn(paths)) {
          progress.update(++read, read);
          yield raw;
        }
      }
      const summary = await withServices((s) => s.feedback.ingestMany(counted(), 'file'));
      progress.finish(summary.messages);
      if (opts.json) return printJson(summary);
      const kinds =
        Object.entries(summary.kinds)
          .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
          .join(', ') || 'nothing applied';
      process.stdout.write(
        `Read ${summary.messages} messages: ${kinds}; ${summary.duplicates} already seen; ${summary.quarantined} unreadable (kept in quarantine).\n`,
      );
    });

  feedback
    .command('parse <paths...>')
    .description('explain bounces and complaints in .eml files, mbox files or folders, changing nothing')
    .option('--json', 'print one JSON line per message')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const { sourcedMessagesIn } = await import('../../feedback/message-files.js');
      await withServices(async (s) => {
        for await (const { file, raw } of sourcedMessagesIn(paths)) {
          const explained = await s.feedback.explain(raw);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ file, ...explained })}\n`);
            continue;
          }
          process.stdout.write(
            `${withoutControls(file)}: ${explained.kind}, ${explained.verified ? 'verified' : 'unverified'}: ${withoutControls(explained.why)}\n`,
          );
          for (const r of explained.recipients) {
            const detail = [r.status, r.reason, r.diagnostic].filter(Boolean).join('  ');
            process.stdout.write(
              `  ${withoutControls(r.address || '(no address)')}  ${r.kind}  ${withoutControls(detail).slice(0, 160)}\n`,
            );
          }
        }
      });
    });

  feedback
    .command('poll')
    .description('read the mailbox in LISTWARDEN_IMAP_URL once (serve polls it on a schedule)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const summary = await withServices(async (s) => {
        if (!s.config.imap)
          throw new AppError(
            'invalid_input',
            'Set LISTWARDEN_IMAP_URL (imaps://user:password@host/INBOX) to poll a mailbox.',
          );
        const { createImapPoller } = await import('../../feedback/imap-poller.js');
        try {
          return await createImapPoller({
            settings: s.config.imap.settings,
            feedback: s.feedback,
            logger: s.logger,
          }).pollOnce();
        } catch (error) {
          if (error instanceof AppError) throw error;
          throw new AppError('unavailable', `The mailbox could not be read: ${(error as Error).message}`);
        }
      });
      if (opts.json) return printJson(summary);
      process.stdout.write(
        `Read ${summary.messages} messages from the mailbox; ${summary.applied} applied, ${summary.quarantined} kept in quarantine.\n`,
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
      const result = await withServices((s) =>
        s.feedback.list({ limit: opts.limit, campaign: opts.campaign, kind: opts.kind }),
      );
      if (opts.json) return printJson(result);
      printTable(result.events, ['at', 'kind', 'verified', 'style', 'recipient', 'status', 'campaignId', 'action']);
      process.stdout.write(`${result.quarantined} unreadable messages in quarantine.\n`);
    });
}
