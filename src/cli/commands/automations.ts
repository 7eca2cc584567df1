import type { Command } from 'commander';
import type { AutomationView } from '../../automations/automations.service.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';
import { readTemplate } from '../template-file.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function printView(view: AutomationView): void {
  process.stdout.write(
    `${view.name}: list ${view.list}, on ${view.on}${view.cancelOn.length > 0 ? `, cancelled by ${view.cancelOn.join(', ')}` : ''}, ${view.status}${view.stopReason ? ` (${view.stopReason})` : ''}\n`,
  );
  if (view.steps.length === 0) process.stdout.write('No steps yet: add one with `listwarden automations add-step`.\n');
  else printTable(view.steps, ['position', 'after', 'subject']);
  const counted = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ') || 'none';
  process.stdout.write(`Runs: ${counted(view.runs)}\nMail: ${counted(view.mail)}\n`);
}

/** `listwarden automations …` */
export function registerAutomationsCommands(program: Command): void {
  const automations = program
    .command('automations')
    .description('welcome series and event flows: marketing mail in steps, with the same consent and opt-out');

  automations
    .command('create')
    .description(
      'a flow on a list, started by a confirmation (--on confirmed) or an event the shop posts (--on cart.abandoned)',
    )
    .requiredOption('--name <name>', 'its name')
    .requiredOption('--list <slug>', 'the list')
    .requiredOption('--on <trigger>', 'confirmed, or the name of an event (POST /api/v1/events)')
    .option('--cancel-on <event>', "an event that ends a person's run (repeatable)", collect, [])
    .option('--json', 'print JSON')
    .action(async (opts: { name: string; list: string; on: string; cancelOn: string[]; json?: boolean }) => {
      const view = await withServices((s) =>
        s.automations.create({ name: opts.name, list: opts.list, on: opts.on, cancelOn: opts.cancelOn }),
      );
      if (opts.json) return printJson(view);
      printView(view);
    });

  automations
    .command('add-step <name>')
    .description('append a mail: sent --after the previous step (or the start), checked and approved like a campaign')
    .requiredOption('--after <delay>', 'e.g. 0m, 2h, 3d, 1w')
    .requiredOption('--subject <subject>', 'subject (Liquid)')
    .requiredOption('--html <file>', 'HTML template file (Liquid; MJML with --mjml); must use {{ unsubscribe_url }}')
    .option('--text <file>', 'text template file (Liquid); derived from the HTML when absent')
    .option('--mjml', 'the HTML file is MJML')
    .option('--layout <layout>', "newsletter (the list's branded layout) or none")
    .option('--force', 'accept that the mail goes out without a DKIM signature')
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        opts: {
          after: string;
          subject: string;
          html: string;
          text?: string;
          mjml?: boolean;
          layout?: string;
          force?: boolean;
          json?: boolean;
        },
      ) => {
        const html = await readTemplate(opts.html);
        const text = opts.text ? await readTemplate(opts.text) : null;
        const view = await withServices((s) =>
          s.automations.addStep(
            name,
            {
              after: opts.after,
              subject: opts.subject,
              html,
              text,
              format: opts.mjml ? 'mjml' : 'html',
              ...(opts.layout !== undefined ? { layout: opts.layout } : {}),
            },
            { force: opts.force === true },
          ),
        );
        if (opts.json) return printJson(view);
        printView(view);
      },
    );

  automations
    .command('list')
    .description('every automation')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await withServices((s) => s.automations.list());
      if (opts.json) return printJson(all);
      printTable(
        all.map((a) => ({ ...a, steps: a.steps.length, waiting: a.runs.waiting ?? 0 })),
        ['name', 'list', 'on', 'status', 'steps', 'waiting'],
      );
    });

  automations
    .command('show <name>')
    .description('an automation: its steps, its runs and its mail')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const view = await withServices((s) => s.automations.show(name));
      if (opts.json) return printJson(view);
      printView(view);
    });

  automations
    .command('pause <name>')
    .description('stop sending; waiting people keep their place')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const view = await withServices((s) => s.automations.pause(name));
      if (opts.json) return printJson(view);
      printView(view);
    });

  automations
    .command('resume <name>')
    .description('approve the steps again as they would go out now, and send on (overdue steps first)')
    .option('--force', 'accept that the mail goes out without a DKIM signature')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { force?: boolean; json?: boolean }) => {
      const view = await withServices((s) => s.automations.resume(name, { force: opts.force === true }));
      if (opts.json) return printJson(view);
      printView(view);
    });
}
