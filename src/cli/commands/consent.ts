import type { Command } from 'commander';

import { withServices } from '../context.js';

import { printJson } from '../output.js';

/** `listwarden consent proof <email> --list <slug>` */
export function registerConsentCommands(program: Command): void {
  const consent = program.command('consent').description('evidence of consent');
  consent
    .command('proof <email>')
    .description('print who consented, when, from where, to which wording, and when they confirmed')
    .requiredOption('--list <slug>', 'the list')
    .option('--json', 'print JSON')
    .action(async (email: string, opts: { list: string; json?: boolean }) => {
      const { formatProof } = await import('../../consent/format-proof.js');
      const { gatherProof } = await import('../../consent/proof.js');
      const proof = await withServices((s) => gatherProof(s.database, s.lists, email, opts.list));
      if (opts.json) printJson(proof);
      else process.stdout.write(formatProof(proof));
    });
}
