import type { Command } from 'commander';
import type { CampaignStatusView } from '../../campaigns/campaigns.service.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';
import { withoutControls } from '../../shared/terminal-text.js';
import { describeAudience } from '../../campaigns/audience.js';
import { readTemplate } from '../template-file.js';

function show(view: CampaignStatusView, json: boolean | undefined): void {
  if (json) return printJson(view);
  printTable(
    [view],
    ['id', 'list', 'status', 'total', 'sent', 'queued', 'deferred', 'failed', 'bounced', 'ratePerSecond'],
  );
  if (view.selfTest)
    process.stdout.write(
      `opt-out self-test: ${view.selfTest.ok ? 'passed' : `FAILED: ${view.selfTest.reason}`} (${view.selfTest.checkedAt})\n`,
    );
  const f = view.feedback;
  process.stdout.write(
    `feedback: ${f.hardBounces} hard bounces (${(f.hardBounceRate * 100).toFixed(2)}%), ${f.softBounces} soft, ${f.complaints} complaints (${(f.complaintRate * 100).toFixed(3)}%)\n`,
  );
  if (view.stopReason) process.stdout.write(`stopped: ${view.stopReason}\n`);
  if (view.audience.segment || view.audience.excludeLists.length > 0)
    process.stdout.write(`audience: ${withoutControls(describeAudience(view.audience))}\n`);
  const ab = view.ab;
  if (ab) {
    const decided = ab.decision
      ? `winner ${ab.decision.winner.toUpperCase()} (people who clicked: A ${ab.decision.clicks.a}, B ${ab.decision.clicks.b}; opened: A ${ab.decision.opens.a}, B ${ab.decision.opens.b})`
      : ab.sampleSentAt !== undefined
        ? `waiting until ${new Date(ab.sampleSentAt + ab.waitMs).toISOString()}`
        : 'the sample is being sent';
    process.stdout.write(
      `A/B test: ${ab.samplePercent}% sample, subject B "${withoutControls(ab.subjectB)}": ${decided}\n`,
    );
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `listwarden campaigns …` */
export function registerCampaignsCommands(program: Command): void {
  const campaigns = program.command('campaigns').description("marketing mail to a list's confirmed subscribers");

  campaigns
    .command('create')
    .description('create a draft from Liquid templates (the HTML must use {{ unsubscribe_url }})')
    .option('--list <slug>', 'the list (not needed with --segment)')
    .option('--segment <name>', "only the segment's subscribers (of its list)")
    .option('--exclude-list <slug>', 'leave out the confirmed subscribers of this list (repeatable)', collect, [])
    .requiredOption('--subject <subject>', 'subject (Liquid)')
    .option('--subject-b <subject>', 'an A/B test: the second subject (needs click tracking on the list)')
    .option('--ab-sample <percent>', 'the share of the audience in the test, half each subject (2-50, default 20)')
    .option('--ab-wait <time>', 'how long the test runs before the winner goes to the rest (like 4h; default 4h)')
    .requiredOption('--html <file>', 'HTML template file (Liquid; MJML with --mjml)')
    .option('--text <file>', 'text template file (Liquid); derived from the HTML when absent')
    .option('--mjml', 'the HTML file is MJML')
    .option(
      '--layout <layout>',
      "newsletter: the content goes into the list's branded layout (the default for content that is not a whole document); none: the HTML is the whole mail",
    )
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        list?: string;
        segment?: string;
        excludeList: string[];
        subject: string;
        subjectB?: string;
        abSample?: string;
        abWait?: string;
        html: string;
        text?: string;
        mjml?: boolean;
        layout?: string;
        json?: boolean;
      }) => {
        const html = await readTemplate(opts.html);
        const text = opts.text ? await readTemplate(opts.text) : null;
        const view = await withServices((s) =>
          s.campaigns.create({
            list: opts.list,
            segment: opts.segment,
            excludeLists: opts.excludeList,
            subject: opts.subject,
            subjectB: opts.subjectB,
            abSample: opts.abSample,
            abWait: opts.abWait,
            html,
            text,
            format: opts.mjml ? 'mjml' : 'html',
            ...(opts.layout !== undefined ? { layout: opts.layout } : {}),
          }),
        );
        if (opts.json) return printJson(view);
        process.stdout.write(
          `Created campaign ${view.id} (draft) for ${view.audience.segment ? `segment ${view.audience.segment} of ` : ''}list ${view.list}${view.audience.excludeLists.length > 0 ? `, less ${view.audience.excludeLists.join(', ')}` : ''}.\n`,
        );
      },
    );

  campaigns
    .command('test <id>')
    .description('send one copy to an address now, subject prefixed with [TEST]')
    .requiredOption('--to <address>', 'where to send it')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { to: string; json?: boolean }) => {
      const result = await withServices((s) => s.campaigns.test(id, opts.to));
      if (opts.json) return printJson(result);
      process.stdout.write(`Sent a test copy to ${result.to}: ${result.response}\n`);
    });

  campaigns
    .command('send <id>')
    .description('run the checks and the opt-out self-test, then queue the mail (or schedule it with --at)')
    .option('--at <time>', 'ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z')
    .option('--force', 'send although the pre-send checks (content lint, link blocklists, spam score) found errors')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { at?: string; force?: boolean; json?: boolean }) => {
      show(await withServices((s) => s.campaigns.send(id, opts.at, { force: opts.force === true })), opts.json);
    });

  campaigns
    .command('check <id>')
    .description('the checks a send runs, on a rendered message: refusals, content lint, link blocklists, spam score')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const report = await withServices((s) => s.campaigns.check(id));
      if (opts.json) printJson(report);
      else {
        if (report.refusal) process.stdout.write(`REFUSED: ${report.refusal}\n`);
        for (const f of report.findings) process.stdout.write(`${f.severity.toUpperCase()} ${f.id}: ${f.detail}\n`);
        if (report.spam)
          process.stdout.write(`spam score: ${report.spam.score} / ${report.spam.threshold} (${report.spam.scorer})\n`);
        process.stdout.write(
          report.ok ? 'The campaign passes the pre-send checks.\n' : 'The campaign would be refused.\n',
        );
      }
      if (!report.ok) process.exitCode = 1;
    });

  for (const [name, description] of [
    ['pause', 'hold the mail not yet sent'],
    ['cancel', 'drop the mail not yet sent'],
  ] as const) {
    campaigns
      .command(`${name} <id>`)
      .description(description)
      .option('--json', 'print JSON')
      .action(async (id: string, opts: { json?: boolean }) => {
        show(await withServices((s) => s.campaigns[name](id)), opts.json);
      });
  }

  campaigns
    .command('resume <id>')
    .description('send the held mail (nothing already sent goes again)')
    .option('--force', 'also resume a campaign the circuit breaker stopped (its count starts afresh)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { force?: boolean; json?: boolean }) => {
      show(await withServices((s) => s.campaigns.resume(id, { force: opts.force === true })), opts.json);
    });

  campaigns
    .command('list')
    .description('the latest campaigns, newest first')
    .option('--list <slug>', 'only this list')
    .option('--status <status>', 'only campaigns in this status')
    .option('--limit <n>', 'how many (max 1000)', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(async (opts: { list?: string; status?: string; limit?: number; json?: boolean }) => {
      const rows = await withServices((s) =>
        s.campaigns.list({
          ...(opts.list !== undefined ? { list: opts.list } : {}),
          ...(opts.status !== undefined ? { status: opts.status } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        }),
      );
      if (opts.json) printJson({ campaigns: rows });
      else printTable(rows, ['id', 'list', 'status', 'subject', 'createdAt', 'sendAt', 'finishedAt']);
    });

  campaigns
    .command('status <id>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      show(await withServices((s) => s.campaigns.status(id)), opts.json);
    });

  campaigns
    .command('links <id>')
    .description('opens and clicks of a campaign whose list tracks them, per link (machines apart)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const report = await withServices(async (s) => s.tracking.report((await s.campaigns.status(id)).id));
      if (opts.json) return printJson(report);
      process.stdout.write(
        `Opens: ${report.opens.people} people (${report.opens.total} opens), ${report.opens.machine} by machines\n` +
          `Clicks: ${report.clicks.people} people (${report.clicks.total} clicks), ${report.clicks.machine} by machines\n\n`,
      );
      printTable(report.links, ['url', 'people', 'clicks', 'machine']);
    });
}
