import type { Command } from 'commander';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** `listwarden segments …` and `listwarden attributes …` */
export function registerSegmentsCommands(program: Command): void {
  const segments = program
    .command('segments')
    .description('named filters over a list (e.g. country = "NL" and last_order_at > now - 90d)');

  segments
    .command('create <name>')
    .description('save a filter over the confirmed subscribers of a list')
    .requiredOption('--list <slug>', 'the list')
    .requiredOption('--where <filter>', 'the filter, e.g. \'country = "NL" and not tags contains "vip"\'')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { list: string; where: string; json?: boolean }) => {
      const view = await withServices((s) => s.segments.create({ name, list: opts.list, where: opts.where }));
      if (opts.json) return printJson(view);
      process.stdout.write(`Created segment ${view.name} of list ${view.list}: ${view.where}\n`);
    });

  segments
    .command('update <name>')
    .description("change a segment's filter (campaigns already sending keep theirs)")
    .requiredOption('--where <filter>', 'the new filter')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { where: string; json?: boolean }) => {
      const view = await withServices((s) => s.segments.update(name, { where: opts.where }));
      if (opts.json) return printJson(view);
      process.stdout.write(`Segment ${view.name} of list ${view.list}: ${view.where}\n`);
    });

  segments
    .command('count <name>')
    .description("how many of the list's confirmed subscribers meet the filter now")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const result = await withServices((s) => s.segments.count(name));
      if (opts.json) return printJson(result);
      process.stdout.write(`${result.count}\n`);
    });

  segments
    .command('list')
    .description('every segment')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await withServices((s) => s.segments.list());
      if (opts.json) return printJson(all);
      printTable(all, ['name', 'list', 'where']);
    });

  segments
    .command('show <name>')
    .description('a segment and its filter')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const view = await withServices((s) => s.segments.show(name));
      if (opts.json) return printJson(view);
      process.stdout.write(`${view.name} (list ${view.list}, since ${view.createdAt})\n${view.where}\n`);
    });

  segments
    .command('delete <name>')
    .description('delete a segment (not while a campaign that goes to it is a draft or sending)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const result = await withServices((s) => s.segments.remove(name));
      if (opts.json) return printJson(result);
      process.stdout.write(`Deleted segment ${result.deleted}.\n`);
    });

  const attributes = program
    .command('attributes')
    .description("the types a list declares for its subscribers' attributes (string, number, date, boolean, list)");

  attributes
    .command('define <name>')
    .description('declare the type of an attribute on a list (updates are checked against it; filters compare as it)')
    .requiredOption('--list <slug>', 'the list')
    .requiredOption('--type <type>', 'string, number, date, boolean or list')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { list: string; type: string; json?: boolean }) => {
      const result = await withServices((s) => s.attributes.declare(opts.list, name, opts.type));
      if (opts.json) return printJson(result);
      process.stdout.write(`${result.list}: ${result.name} is a ${result.type}.\n`);
    });

  attributes
    .command('list')
    .description("a list's declared attributes")
    .requiredOption('--list <slug>', 'the list')
    .option('--json', 'print JSON')
    .action(async (opts: { list: string; json?: boolean }) => {
      const result = await withServices((s) => s.attributes.types(opts.list));
      if (opts.json) return printJson(result);
      printTable(result.attributes, ['name', 'type']);
    });

  attributes
    .command('forget <name>')
    .description("forget an attribute's declared type (the values stay)")
    .requiredOption('--list <slug>', 'the list')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { list: string; json?: boolean }) => {
      const result = await withServices((s) => s.attributes.forget(opts.list, name));
      if (opts.json) return printJson(result);
      process.stdout.write(`${result.list}: ${result.forgotten} has no declared type now.\n`);
    });
}
