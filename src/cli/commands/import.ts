import { createReadStream } from 'node:fs';

import { access, stat } from 'node:fs/promises';

import type { Command } from 'commander';
import { AppError } from '../../shared/app-error.js';

import { withServices } from '../context.js';

import { printJson } from '../output.js';
import { createProgress } from '../progress.js';

/** `listwarden import <file.csv> --list <slug> --source "<where from>"` */
export function registerImportCommand(program: Command): void {
  program
    .command('import <file>')
    .description('import a CSV (header email[,name][,attributes…]); without proof everyone is asked to confirm')
    .requiredOption('--list <slug>', 'the list to import into')
    .requiredOption('--source <text>', 'where these addresses came from (kept as evidence)')
    .option('--with-proof', 'the file has confirmed_at,confirm_ip columns: import as confirmed')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { list: string; source: string; withProof?: boolean; json?: boolean }) => {
      const { importCsv, PARSE_IN_THREAD_FROM_BYTES } = await import('../../consent/import.js');
      try {
        await access(file);
      } catch {
        throw new AppError('not_found', `Cannot read ${file}.`);
      }
      const source = opts.source.trim();
      if (source.length < 3 || source.length > 500)
        throw new AppError('invalid_input', '--source must say where the addresses came from (3-500 characters).');
      // A bar on a terminal (progress lines with --json), by the bytes of the file read so far.
      const size = (await stat(file)).size;
      const progress = createProgress({
        total: size,
        json: opts.json === true,
        terminal: process.stderr.isTTY,
        noun: 'rows',
      });
      let bytes = 0;
      async function* counted() {
        for await (const chunk of createReadStream(file)) {
          bytes += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      }
      const report = await withServices(async (s) => {
        const list = await s.lists.requireList(opts.list);
        return importCsv(s.database, counted(), {
          parseInThread: size >= PARSE_IN_THREAD_FROM_BYTES,
          onProgress: (rows) => progress.update(bytes, rows),
          list,
          source,
          withProof: opts.withProof === true,
          mailsPerHour: s.config.repermissionPerHour,
          onBadRow: (line, reason) => process.stderr.write(`${file}: line ${line}: ${reason} (skipped)\n`),
        });
      });
      progress.finish(report.rows);
      if (opts.json) return printJson(report);
      process.stdout.write(
        `Read ${report.rows} rows: ${report.imported} imported, ${report.existing} already on the list, ` +
          `${report.suppressed} suppressed, ${report.invalid} skipped as invalid (${report.delimiter}-separated).\n` +
          (report.confirmationMails > 0
            ? `${report.confirmationMails} confirmation mails queued, sent from ${report.mailsFrom} until ${report.mailsUntil}.\n`
            : ''),
      );
    });
}
