import type { Command } from 'commander';
import type { DkimKeyView } from '../../dkim/dkim-keys.service.js';
import { AppError } from '../../shared/app-error.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** What to publish, after a key was made or imported. */
function printRecord(view: DkimKeyView): void {
  const next =
    view.status === 'active'
      ? 'Mail from this domain is signed with it from now on: publish the record now, or receivers cannot verify the signatures (`listwarden reputation check-domain` compares it with DNS).'
      : `This key waits (pending) while another signs: publish the record, check it with \`listwarden reputation check-domain ${view.domain} --ip <sending IP>\`, then \`listwarden dkim activate --domain ${view.domain} --selector ${view.selector}\`.`;
  process.stdout.write(
    [
      `DKIM key ${view.selector} for ${view.domain} (${view.algorithm}, ${view.status}).`,
      '',
      `Publish this TXT record at ${view.record.name}:`,
      '',
      `  ${view.record.value}`,
      '',
      'As a zone-file line:',
      '',
      `  ${view.record.zone}`,
      '',
      next,
      '',
    ].join('\n'),
  );
}

const show = (view: DkimKeyView, json: boolean | undefined) => (json ? printJson(view) : printRecord(view));

/** `listwarden dkim generate|import|list|record|activate|remove` */
export function registerDkimCommands(program: Command): void {
  const dkim = program
    .command('dkim')
    .description('DKIM keys: kept in the database (sealed under the secret), shared by the server and the CLI');

  dkim
    .command('generate')
    .description('make a key pair (RSA-2048, or Ed25519) and print the DNS record to publish')
    .requiredOption('--domain <domain>', 'the From domain it signs for')
    .option('--selector <selector>', 'the DNS selector (default: lw and the year and month)')
    .option('--ed25519', 'an Ed25519 key (RFC 8463), signed beside an RSA key')
    .option('--bits <n>', 'RSA key size', '2048')
    .option('--json', 'print JSON')
    .action(async (opts: { domain: string; selector?: string; ed25519?: boolean; bits: string; json?: boolean }) =>
      show(
        await withServices((s) =>
          s.dkim.generate({
            domain: opts.domain,
            ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
            ed25519: opts.ed25519 === true,
            bits: opts.bits,
          }),
        ),
        opts.json,
      ),
    );

  dkim
    .command('import')
    .description('keep an existing private key (PEM) and print its DNS record')
    .requiredOption('--domain <domain>', 'the From domain it signs for')
    .requiredOption('--selector <selector>', 'the DNS selector it is published under')
    .requiredOption('--key-file <file>', 'the PEM private key (RSA or Ed25519)')
    .option('--json', 'print JSON')
    .action(async (opts: { domain: string; selector: string; keyFile: string; json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      let pem: Buffer;
      try {
        pem = readFileSync(opts.keyFile);
      } catch (error) {
        throw new AppError(
          'invalid_input',
          `The key file ${opts.keyFile} cannot be read: ${(error as Error).message}.`,
        );
      }
      show(
        await withServices((s) => s.dkim.importKey({ domain: opts.domain, selector: opts.selector, pem })),
        opts.json,
      );
    });

  dkim
    .command('list')
    .description('every key, its status and its DNS record name')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const keys = await withServices((s) => s.dkim.list());
      if (opts.json) return printJson({ keys });
      if (keys.length === 0) {
        process.stdout.write('No DKIM keys. Make one: listwarden dkim generate --domain <your From domain>\n');
        return;
      }
      printTable(
        keys.map((k) => ({ ...k, record: k.record.name, usable: k.usable ? 'yes' : 'no (other secret)' })),
        ['domain', 'selector', 'algorithm', 'status', 'record', 'createdAt', 'usable'],
      );
    });

  dkim
    .command('record')
    .description('print the DNS record of a key again')
    .requiredOption('--domain <domain>')
    .requiredOption('--selector <selector>')
    .option('--json', 'print JSON')
    .action(async (opts: { domain: string; selector: string; json?: boolean }) =>
      show(await withServices((s) => s.dkim.show(opts.domain, opts.selector)), opts.json),
    );

  dkim
    .command('activate')
    .description('rotation: sign with this key from now on (the previous one is retired, still kept)')
    .requiredOption('--domain <domain>')
    .requiredOption('--selector <selector>')
    .option('--json', 'print JSON')
    .action(async (opts: { domain: string; selector: string; json?: boolean }) => {
      const view = await withServices((s) => s.dkim.activate(opts.domain, opts.selector));
      if (opts.json) return printJson(view);
      process.stdout.write(
        `${view.record.name} signs mail from ${view.domain} from now on. Keep the retired key's record published until campaigns approved with it have finished.\n`,
      );
    });

  dkim
    .command('remove')
    .description('delete a key (the active one only with --force: campaigns approved with it are held)')
    .requiredOption('--domain <domain>')
    .requiredOption('--selector <selector>')
    .option('--force', 'remove even the active key')
    .action(async (opts: { domain: string; selector: string; force?: boolean }) => {
      await withServices((s) => s.dkim.remove(opts.domain, opts.selector, { force: opts.force === true }));
      process.stdout.write(`Removed the DKIM key ${opts.selector}._domainkey.${opts.domain}.\n`);
    });
}
