import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { SettingView } from '../../config/settings.service.js';
import { storeImage } from '../image-file.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** Who changed a setting from the command line. */
function cliActor(): string {
  try {
    return `cli (${userInfo().username})`;
  } catch {
    return 'cli';
  }
}

function showOne(view: SettingView, json: boolean | undefined): void {
  if (json) return printJson(view);
  printTable(
    [{ ...view, overridden: view.overridden ? `yes, by ${view.variable}` : 'no' }],
    ['key', 'value', 'source', 'overridden'],
  );
}

/** `listwarden settings list|get|set|unset|history` */
export function registerSettingsCommands(program: Command): void {
  const settings = program
    .command('settings')
    .description('settings stored in the database, shared by the server and the CLI (the environment may override)');

  settings
    .command('list')
    .description('every setting, its value and where the value comes from')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const views = await withServices((s) => s.settings.list());
      if (opts.json) return printJson({ settings: views });
      printTable(
        views.map((v) => ({ ...v, overridden: v.overridden ? `yes, by ${v.variable}` : 'no' })),
        ['key', 'value', 'source', 'overridden'],
      );
    });

  settings
    .command('get <key>')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { json?: boolean }) =>
      showOne(await withServices((s) => s.settings.get(key)), opts.json),
    );

  settings
    .command('set <key> <value>')
    .description('store a setting; the running server picks it up within seconds (brand.logo: an image file)')
    .option('--json', 'print JSON')
    .action(async (key: string, value: string, opts: { json?: boolean }) =>
      showOne(
        await withServices(async (s) =>
          // The logo is a file: stored as a brand image first, the setting names it.
          s.settings.set(key, key === 'brand.logo' ? await storeImage(s.brandAssets, value) : value, cliActor()),
        ),
        opts.json,
      ),
    );

  settings
    .command('unset <key>')
    .description('remove a stored setting (its default, or the environment, applies again)')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: { json?: boolean }) =>
      showOne(await withServices((s) => s.settings.unset(key, cliActor())), opts.json),
    );

  settings
    .command('history')
    .description('who changed which setting, when, from what to what')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const changes = await withServices((s) => s.settings.history());
      if (opts.json) return printJson({ changes });
      printTable(changes, ['at', 'key', 'old', 'new', 'actor']);
    });
}
