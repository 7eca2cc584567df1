import type { Command } from 'commander';
import { AppError } from '../../shared/app-error.js';
import { HOST_PORT } from '../../shared/dns-names.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** The `--dns` override, validated, or the configured resolvers. */
function resolversFrom(dns: string | undefined, configured: readonly string[]): readonly string[] {
  if (dns === undefined) return configured;
  if (!HOST_PORT.test(dns)) throw new AppError('invalid_input', '--dns must be host or host:port.');
  return [dns];
}

/** `listwarden reputation …` */
export function registerReputationCommands(program: Command): void {
  const reputation = program.command('reputation').description('blocklists, neighbourhood and sender authentication');

  reputation
    .command('check-ip <ip>')
    .description('check an IP and every address of its range against DNS blocklists; prints a map of the /24')
    .option('--range <prefix>', 'prefix length of the neighbourhood (16-32)', '24')
    .option(
      '--zones <zones>',
      'comma-separated DNSBL zones (default: the IP zones of the catalogue, or LISTWARDEN_DNSBL_ZONES)',
    )
    .option('--dns <host:port>', 'resolver to ask (default: LISTWARDEN_DNS_SERVERS, else the system resolver)')
    .option('--json', 'print JSON')
    .action(async (ip: string, opts: { range: string; zones?: string; dns?: string; json?: boolean }) => {
      const { loadConfig } = await import('../../config/config.js');
      const { checkIpRange } = await import('../../reputation/check-ip.js');
      const { dnsblClientFor } = await import('../../reputation/dnsbl-client.js');
      const { publicResolverWarning } = await import('../../reputation/resolvers.js');
      const { renderNeighbourhood } = await import('../../reputation/neighbourhood-map.js');
      const { parseCheckInput } = await import('../../reputation/reputation-input.js');
      const config = loadConfig();
      const input = parseCheckInput({
        ip,
        range: opts.range,
        ...((opts.zones ?? config.reputation.zones) ? { zones: opts.zones ?? config.reputation.zones } : {}),
      });
      const servers = resolversFrom(opts.dns, config.dnsServers);
      const client = dnsblClientFor(config, servers);
      const result = await checkIpRange(client, input);
      const warning = publicResolverWarning(servers);
      const warnings = warning ? [warning] : [];
      // No usable zone means nothing was checked: that is not a clean result.
      if (!result.zones.some((z) => z.status === 'ok')) process.exitCode = 1;
      if (opts.json)
        return printJson({
          ...result,
          zones: result.zones.map((z) => ({
            zone: z.zone,
            name: z.name,
            status: z.status,
            detail: z.detail,
            listed: z.listed,
          })),
          warnings,
        });
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(`${renderNeighbourhood(result, new Set([...config.reputation.sendingIps, input.ip]))}\n`);
    });

  reputation
    .command('check-domain <domain>')
    .description(
      'SPF, DKIM, DMARC and alignment, PTR and FCrDNS, MX: bulk-sender readiness for Gmail, Yahoo, Microsoft',
    )
    .requiredOption('--ip <ip>', 'the sending IP')
    .option('--dns <host:port>', 'resolver to ask (default: LISTWARDEN_DNS_SERVERS, else the system resolver)')
    .option('--json', 'print JSON')
    .action(async (domain: string, opts: { ip: string; dns?: string; json?: boolean }) => {
      const { DNS_NAME } = await import('../../shared/dns-names.js');
      const { checkSenderDomain } = await import('../../reputation/sender-auth.js');
      const { ipVersion } = await import('../../reputation/ip-address.js');
      const name = domain.trim().toLowerCase().replace(/\.$/, '');
      if (!DNS_NAME.test(name)) throw new AppError('invalid_input', `"${domain.slice(0, 60)}" is not a domain name.`);
      if (!ipVersion(opts.ip)) throw new AppError('invalid_input', `"${opts.ip.slice(0, 60)}" is not an IP address.`);
      const result = await withServices(async ({ config, dkim }) =>
        checkSenderDomain({
          domain: name,
          ip: opts.ip,
          // Every key kept for the domain: active and retired ones must be published, a pending one should be.
          dkim: (await dkim.list())
            .filter((k) => k.domain === name)
            .map((k) => ({
              domain: k.domain,
              selector: k.selector,
              algorithm: k.algorithm,
              publicKey: k.record.value.replace(/^.*p=/, ''),
              status: k.status,
            })),
          returnPathDomain: config.bounceDomain ?? name,
          servers: resolversFrom(opts.dns, config.dnsServers),
          timeoutMs: config.dnsTimeoutMs,
        }),
      );
      if (opts.json) printJson(result);
      else {
        printTable(
          result.checks.map((c) => ({
            check: c.id,
            status: c.status.toUpperCase(),
            detail: c.detail,
            fix: c.fix ?? '',
          })),
          ['check', 'status', 'detail', 'fix'],
        );
        for (const r of result.readiness)
          process.stdout.write(`${r.provider}: ${r.ready ? 'ready' : `not ready (${r.missing.join(', ')})`}\n`);
      }
      if (result.checks.some((c) => c.status === 'fail')) process.exitCode = 1;
    });
}
