import type { Command } from 'commander';

import { withDatabase, withServices } from '../context.js';

import { printJson, printTable } from '../output.js';

/** `listwarden lists …` */
export function registerListsCommands(program: Command): void {
  const lists = program.command('lists').description('create and inspect mailing lists');

  lists
    .command('create <slug>')
    .description('create a list; the consent text is what people agree to when they sign up')
    .requiredOption('--name <name>', 'name shown to subscribers')
    .requiredOption('--from <mailbox>', 'From address, e.g. "Shop News <news@shop.example>"')
    .option('--reply-to <address>', 'Reply-To address')
    .option('--consent-text <text>', 'the consent wording shown on signup forms')
    .option('--allowed-origins <origins>', 'comma-separated origins allowed to call the JSON signup from a browser')
    .option('--json', 'print JSON')
    .action(
      async (
        slug: string,
        opts: {
          name: string;
          from: string;
          replyTo?: string;
          consentText?: string;
          allowedOrigins?: string;
          json?: boolean;
        },
      ) => {
        const list = await withServices((s) =>
          s.lists.create({
            slug,
            name: opts.name,
            from: opts.from,
            replyTo: opts.replyTo,
            consentText: opts.consentText,
            allowedOrigins: opts.allowedOrigins,
          }),
        );
        if (opts.json) printJson(list);
        else
          process.stdout.write(
            `Created list ${list.slug} (${list.name}), consent text version ${list.consentText.version}.\n`,
          );
      },
    );

  lists
    .command('update <slug>')
    .description('change a list; a new consent text becomes the next version')
    .option('--name <name>')
    .option('--from <mailbox>')
    .option('--reply-to <address>')
    .option('--consent-text <text>')
    .option('--allowed-origins <origins>')
    .option('--json', 'print JSON')
    .action(
      async (
        slug: string,
        opts: {
          name?: string;
          from?: string;
          replyTo?: string;
          consentText?: string;
          allowedOrigins?: string;
          json?: boolean;
        },
      ) => {
        const list = await withServices((s) =>
          s.lists.update(slug, {
            name: opts.name,
            from: opts.from,
            replyTo: opts.replyTo,
            consentText: opts.consentText,
            allowedOrigins: opts.allowedOrigins,
          }),
        );
        if (opts.json) printJson(list);
        else process.stdout.write(`Updated list ${list.slug}; consent text version ${list.consentText.version}.\n`);
      },
    );

  lists
    .command('list')
    .description('show all lists with subscriber counts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      // The light path: the database alone, so the answer comes at once.
      const { createListsService } = await import('../../lists/lists.service.js');
      const all = await withDatabase(({ database }) => createListsService(database).list());
      if (opts.json) return printJson(all);
      printTable(
        all.map((l) => ({
          slug: l.slug,
          name: l.name,
          from: l.from,
          consent: `v${l.consentText.version}`,
          confirmed: l.counts?.confirmed ?? 0,
          pending: l.counts?.pending ?? 0,
        })),
        ['slug', 'name', 'from', 'consent', 'confirmed', 'pending'],
      );
    });

  lists
    .command('show <slug>')
    .option('--json', 'print JSON')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const list = await withServices((s) => s.lists.show(slug));
      if (opts.json) return printJson(list);
      printTable(
        [
          {
            slug: list.slug,
            name: list.name,
            from: list.from,
            replyTo: list.replyTo,
            origins: list.allowedOrigins.join(','),
          },
        ],
        ['slug', 'name', 'from', 'replyTo', 'origins'],
      );
      process.stdout.write(`Consent text (v${list.consentText.version}): ${list.consentText.text}\n`);
    });

  lists
    .command('embed <slug>')
    .description('print an HTML signup form to paste into your own site')
    .option('--json', 'print JSON ({"html": …})')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const { embedSnippet } = await import('../../lists/embed-snippet.js');
      const { html } = await withServices(async (s) => {
        const list = await s.lists.show(slug);
        return { html: embedSnippet(s.config.publicUrl, list, list.consentText) };
      });
      if (opts.json) printJson({ html });
      else process.stdout.write(html);
    });
}
