import type { Command } from 'commander';

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AppError, invalidInput } from '../../shared/app-error.js';
import { withoutControls } from '../../shared/terminal-text.js';

import { withServices } from '../context.js';

import { printJson, printTable } from '../output.js';

/** `listwarden subscribers …` */
export function registerSubscribersCommands(program: Command): void {
  const subscribers = program.command('subscribers').description('inspect, export and erase subscriber records');

  subscribers
    .command('show <email>')
    .description('a subscriber with subscriptions and the consent event log')
    .option('--json', 'print JSON')
    .action(async (email: string, opts: { json?: boolean }) => {
      const view = await withServices((s) => s.subscribers.show(email));
      if (opts.json) return printJson(view);
      process.stdout.write(
        `${view.email}${view.name ? ` (${view.name})` : ''}, since ${view.createdAt}${view.suppressed ? `, SUPPRESSED (${view.suppressed.reason})` : ''}\n\n`,
      );
      printTable(view.subscriptions, ['list', 'status', 'createdAt', 'confirmedAt', 'unsubscribedAt']);
      process.stdout.write('\n');
      printTable(view.events, ['at', 'type', 'list', 'ip', 'source']);
    });

  subscribers
    .command('list')
    .description('page through subscribers (ordered by id)')
    .option('--list <slug>', 'only this list')
    .option('--status <status>', 'only this status (needs --list)')
    .option('--after <id>', 'start after this id', (v) => Number(v))
    .option('--limit <n>', 'page size (max 1000)', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (opts: { list?: string; status?: string; after?: number; limit?: number; json?: boolean }) => {
      const page = await withServices((s) => s.subscribers.page(opts));
      if (opts.json) return printJson(page);
      if (opts.list !== undefined) printTable(page.subscribers, ['id', 'email', 'name', 'status', 'createdAt']);
      else
        printTable(
          page.subscribers.map((p) => ({
            ...p,
            lists: (p.lists ?? []).map((l) => `${l.list}:${l.status}`).join(' ') || '-',
          })),
          ['id', 'email', 'name', 'lists', 'createdAt'],
        );
      if (page.next !== null) process.stdout.write(`\nmore: --after ${page.next}\n`);
    });

  subscribers
    .command('update [email]')
    .description(
      "set subscribers' attributes (checked against the types their lists declare): one with --attr, many with --file",
    )
    .option(
      '--attr <key=value>',
      'an attribute to set; key= removes it (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--file <csv>',
      'a CSV file: an email column and one column per attribute (empty cells are left as they are)',
    )
    .option('--json', 'print JSON')
    .action(async (email: string | undefined, opts: { attr: string[]; file?: string; json?: boolean }) => {
      if (opts.file !== undefined) {
        if (email !== undefined || opts.attr.length > 0)
          throw invalidInput('Give either an address with --attr, or --file with a CSV file; not both.');
        const file = opts.file;
        const isFile = await stat(file).then(
          (s) => s.isFile(),
          () => false,
        );
        if (!isFile) throw new AppError('not_found', `Cannot read ${file}: it is not a file.`);
        const report = await withServices((s) =>
          s.attributes.updateFromCsv(createReadStream(file), (line, reason) =>
            process.stderr.write(`${file}: line ${line}: ${withoutControls(reason)} (skipped)\n`),
          ),
        );
        if (opts.json) return printJson(report);
        process.stdout.write(
          `Read ${report.rows} rows: ${report.updated} updated, ${report.unknown} not subscribers, ${report.invalid} skipped as invalid.\n`,
        );
        return;
      }
      if (email === undefined) throw invalidInput('Say whose attributes to set (an address), or give --file.');
      // No prototype: a key named __proto__ is a key (and refused by name), not a prototype.
      const values: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const pair of opts.attr) {
        const at = pair.indexOf('=');
        if (at < 1) throw invalidInput(`--attr takes key=value; "${withoutControls(pair.slice(0, 80))}" has no key.`);
        values[pair.slice(0, at)] = pair.slice(at + 1);
      }
      const result = await withServices((s) => s.attributes.update(email, values, 'text'));
      if (opts.json) return printJson(result);
      process.stdout.write(`${result.email}: ${withoutControls(JSON.stringify(result.attributes))}\n`);
    });

  subscribers
    .command('export <email>')
    .description('everything held about a person, as JSON')
    .action(async (email: string) => printJson(await withServices((s) => s.subscribers.exportData(email))));

  subscribers
    .command('erase <email>')
    .description('erase a person; only a SHA-256 suppression entry remains so they are never mailed again')
    .option('--yes', 'do not ask (a terminal asks before erasing)')
    .option('--json', 'print JSON')
    .action(async (email: string, opts: { json?: boolean; yes?: boolean }) => {
      // Erasure cannot be undone: on a terminal, the person at the keyboard says so first.
      if (!opts.yes && process.stdin.isTTY && process.stdout.isTTY) {
        const { createInterface } = await import('node:readline/promises');
        const prompt = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await prompt.question(
          `Erase everything held about ${withoutControls(email).slice(0, 254)}? This cannot be undone. Type "yes": `,
        );
        prompt.close();
        if (answer.trim().toLowerCase() !== 'yes') {
          process.stdout.write('Nothing erased.\n');
          process.exitCode = 1;
          return;
        }
      }
      const result = await withServices((s) =>
        s.subscribers.erase(email, { ip: null, userAgent: null, source: 'cli', channel: 'cli' }),
      );
      if (opts.json) return printJson(result);
      process.stdout.write(
        result.erased
          ? `Erased. Kept only the suppression hash ${result.suppressionHash}.\n`
          : `No record held for that address; added the suppression hash ${result.suppressionHash} so it is never mailed.\n`,
      );
    });

  subscribers
    .command('purge-pending')
    .description('delete subscriptions that were never confirmed (older than LISTWARDEN_PENDING_TTL_DAYS)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { purgeStalePending } = await import('../../consent/housekeeping.js');
      const purged = await withServices((s) =>
        purgeStalePending(s.database, s.config.pendingTtlMs, s.clock.now(), s.logger),
      );
      if (opts.json) printJson({ purged });
      else process.stdout.write(`Purged ${purged} unconfirmed subscription(s).\n`);
    });
}
