import type { Command } from 'commander';
import type { TxTemplateInput, TxTemplateView } from '../../transactional/tx-templates.service.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';
import { readTemplate } from '../template-file.js';

interface TemplateOptions {
  name?: string;
  subject?: string;
  html?: string;
  text?: string;
  mjml?: boolean;
  liquid?: boolean;
  from?: string;
  essential?: boolean;
  json?: boolean;
}

async function inputOf(opts: TemplateOptions): Promise<TxTemplateInput> {
  return {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
    ...(opts.html !== undefined ? { html: await readTemplate(opts.html) } : {}),
    ...(opts.text !== undefined ? { text: opts.text === '' ? null : await readTemplate(opts.text) } : {}),
    ...(opts.mjml ? { format: 'mjml' } : opts.liquid ? { format: 'liquid' } : {}),
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.essential !== undefined ? { essential: opts.essential } : {}),
  };
}

function print(view: TxTemplateView, json: boolean | undefined): void {
  if (json) return printJson(view);
  printTable([view], ['slug', 'name', 'format', 'essential', 'from', 'subject', 'updatedAt']);
}

function templateOptions(command: Command): Command {
  return command
    .option('--name <name>', 'a name for people (default: the slug)')
    .option('--subject <subject>', 'the subject (Liquid)')
    .option('--html <file>', 'the HTML file (Liquid; MJML with --mjml)')
    .option('--text <file>', 'the text file (Liquid); made from the HTML when absent ("" removes it)')
    .option('--mjml', 'the HTML file is MJML')
    .option('--liquid', 'the HTML file is HTML with Liquid (the default)')
    .option('--from <mailbox>', 'the sender, e.g. "Shop <orders@shop.example>" (default: the tx.from setting)')
    .option('--json', 'print JSON');
}

/** `listwarden templates …`: stored templates of transactional mail. */
export function registerTemplatesCommands(program: Command): void {
  const templates = program.command('templates').description('templates of transactional mail (POST /api/v1/tx)');

  templateOptions(
    templates
      .command('create <slug>')
      .description('store a template; its Liquid is checked now')
      .option('--essential', 'essential mail (a password reset): sent despite complaints and unsubscribes'),
  ).action(async (slug: string, opts: TemplateOptions) => {
    const input = await inputOf(opts);
    print(await withServices((s) => s.txTemplates.create(slug, input)), opts.json);
  });

  templateOptions(
    templates
      .command('update <slug>')
      .description('change a template; what is not given stays')
      .option('--essential', 'mark it essential')
      .option('--no-essential', 'mark it not essential'),
  ).action(async (slug: string, opts: TemplateOptions) => {
    const input = await inputOf(opts);
    print(await withServices((s) => s.txTemplates.update(slug, input)), opts.json);
  });

  templates
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withServices((s) => s.txTemplates.list());
      if (opts.json) return printJson(rows);
      printTable(rows, ['slug', 'name', 'format', 'essential', 'from', 'subject', 'updatedAt']);
    });

  templates
    .command('show <slug>')
    .option('--json', 'print JSON')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const view = await withServices((s) => s.txTemplates.show(slug));
      if (opts.json) return printJson(view);
      print(view, false);
      process.stdout.write(`\n${view.html}\n`);
      if (view.text !== null) process.stdout.write(`\n--- text ---\n${view.text}\n`);
    });
}
