import type { Command } from 'commander';
import type { EndpointView } from '../../webhooks/webhooks.service.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

const COLUMNS = ['id', 'url', 'events', 'enabled', 'failingSince', 'disabledReason'];

function rows(views: readonly EndpointView[]) {
  return views.map((v) => ({ ...v, events: v.events.join(',') }));
}

/** `listwarden webhooks …`: outgoing webhooks, signed the Standard Webhooks way. */
export function registerWebhooksCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('outgoing webhooks: events posted to your URL, signed');

  webhooks
    .command('create')
    .description('add an endpoint; its signing secret is printed once')
    .requiredOption('--url <url>', 'where the events are posted')
    .requiredOption(
      '--events <events>',
      'comma-separated: subscriber.confirmed, subscriber.unsubscribed, subscriber.erased, bounce.hard, complaint, campaign.finished, campaign.stopped, tx.delivered, tx.bounced (* for all)',
    )
    .option('--description <text>', 'what the endpoint is for')
    .option('--json', 'print JSON')
    .action(async (opts: { url: string; events: string; description?: string; json?: boolean }) => {
      const created = await withServices((s) =>
        s.webhooks.create({ url: opts.url, events: opts.events, description: opts.description }),
      );
      if (opts.json) return printJson(created);
      printTable(rows([created]), COLUMNS);
      process.stdout.write(
        `\nSigning secret (give it to the receiver; shown once here, later with "webhooks secret ${created.id}"):\n${created.secret}\n`,
      );
    });

  webhooks
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withServices((s) => s.webhooks.list());
      if (opts.json) return printJson(list);
      printTable(rows(list), COLUMNS);
    });

  webhooks
    .command('show <id>')
    .description('an endpoint, its delivery counts and its delivery log (each try with its response code)')
    .option('--limit <n>', 'how many tries of the log', '20')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { limit: string; json?: boolean }) => {
      const shown = await withServices((s) => s.webhooks.show(id, Number(opts.limit) || 20));
      if (opts.json) return printJson(shown);
      printTable(rows([shown]), COLUMNS);
      process.stdout.write(`\nDeliveries: ${JSON.stringify(shown.deliveries)}\n\n`);
      printTable(shown.log, [
        'deliveryId',
        'type',
        'status',
        'attempts',
        'at',
        'statusCode',
        'durationMs',
        'error',
        'nextAttemptAt',
      ]);
    });

  webhooks
    .command('update <id>')
    .option('--url <url>', 'a new URL')
    .option('--events <events>', 'the events, as for create')
    .option('--description <text>', 'what the endpoint is for')
    .option('--enable', 'turn it on again (its waiting events are delivered in order)')
    .option('--disable', 'turn it off (events for it wait)')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        opts: {
          url?: string;
          events?: string;
          description?: string;
          enable?: boolean;
          disable?: boolean;
          json?: boolean;
        },
      ) => {
        const updated = await withServices((s) =>
          s.webhooks.update(id, {
            url: opts.url,
            events: opts.events,
            description: opts.description,
            enabled: opts.enable ? true : opts.disable ? false : undefined,
          }),
        );
        if (opts.json) return printJson(updated);
        printTable(rows([updated]), COLUMNS);
      },
    );

  webhooks.command('delete <id>').action(async (id: string) => {
    await withServices((s) => s.webhooks.remove(id));
    process.stdout.write(`Deleted webhook endpoint ${id}.\n`);
  });

  webhooks
    .command('secret <id>')
    .description("print an endpoint's signing secret")
    .action(async (id: string) => {
      const { secret } = await withServices((s) => s.webhooks.secret(id));
      process.stdout.write(`${secret}\n`);
    });
}
