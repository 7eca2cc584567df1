import type { Command } from 'commander';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** `listwarden apikeys …` */
export function registerApiKeysCommands(program: Command): void {
  const apikeys = program.command('apikeys').description('keys for the admin API');

  apikeys
    .command('create')
    .description('create a key; it is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--json', 'print JSON')
    .action(async (opts: { name: string; json?: boolean }) => {
      const created = await withServices((s) => s.apiKeys.create(opts.name));
      if (opts.json) return printJson(created);
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`API key "${created.name}" created. Store it now: it cannot be shown again.\n`);
    });

  apikeys
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const keys = await withServices((s) => s.apiKeys.list());
      if (opts.json) return printJson(keys);
      printTable(keys, ['name', 'prefix', 'createdAt', 'lastUsedAt', 'revoked']);
    });

  apikeys.command('revoke <name>').action(async (name: string) => {
    await withServices((s) => s.apiKeys.revoke(name));
    process.stdout.write(`Revoked "${name}".\n`);
  });
}
