import { BLOCK_OUTBOUND_25, finding, pass, type CheckResult } from '../finding.js';
import type { Host } from '../host.js';

export interface Chain {
  table: string;
  name: string;
  /** The netfilter hook of a base chain (input, output, forward, …); undefined for regular chains. */
  hook: string | undefined;
  policy: 'accept' | 'drop' | undefined;
  rules: string[];
}

export interface Ruleset {
  kind: 'nftables' | 'iptables';
  source: string;
  chains: Chain[];
}

/** `nft list ruleset` (or an nftables.conf): tables, chains, their hook and policy, their rules. */
export function parseNftRuleset(text: string, source: string): Ruleset {
  const chains: Chain[] = [];
  let table = '';
  let chain: Chain | undefined;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const opens = (line.match(/\{/g) ?? []).length;
    const closes = (line.match(/\}/g) ?? []).length;
    const tableHead = /^table\s+(\S+(?:\s+\S+)?)\s*\{/.exec(line);
    const chainHead = /^chain\s+(\S+)\s*\{/.exec(line);
    if (tableHead && depth === 0) table = (tableHead[1] as string).trim();
    else if (chainHead && depth === 1) {
      chain = { table, name: chainHead[1] as string, hook: undefined, policy: undefined, rules: [] };
      chains.push(chain);
    } else if (chain && depth === 2) {
      const hook = /\bhook\s+(\w+)/.exec(line);
      if (/^type\s/.test(line) && hook) {
        chain.hook = hook[1] as string;
        const policy = /\bpolicy\s+(accept|drop)\b/.exec(line);
        chain.policy = (policy?.[1] as 'accept' | 'drop' | undefined) ?? 'accept';
      } else if (/^policy\s+(accept|drop)/.test(line)) {
        chain.policy = /^policy\s+(accept|drop)/.exec(line)?.[1] as 'accept' | 'drop';
      } else if (!line.startsWith('}')) {
        chain.rules.push(line.replace(/\s*\}\s*$/, ''));
      }
    }
    depth += opens - closes;
    if (depth < 2) chain = undefined;
    if (depth < 0) depth = 0;
  }
  return { kind: 'nftables', source, chains };
}

/** `iptables-save` (or /etc/iptables/rules.v4): the filter table's built-in chains and rules. */
export function parseIptablesSave(text: string, source: string): Ruleset {
  const chains = new Map<string, Chain>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    if (table !== 'filter') continue;
    const head = /^:(\S+)\s+(\S+)/.exec(line);
    if (head) {
      const name = head[1] as string;
      const builtIn = ['INPUT', 'OUTPUT', 'FORWARD'].includes(name);
      chains.set(name, {
        table,
        name,
        hook: builtIn ? name.toLowerCase() : undefined,
        policy: builtIn ? (head[2] === 'DROP' ? 'drop' : 'accept') : undefined,
        rules: [],
      });
      continue;
    }
    const rule = /^-A\s+(\S+)\s+(.*)$/.exec(line);
    if (rule) chains.get(rule[1] as string)?.rules.push(rule[2] as string);
  }
  return { kind: 'iptables', source, chains: [...chains.values()] };
}

const NFT_DENY = /^(drop|reject)(\s|$)/;
const mentions25 = (rule: string) =>
  /\bdport\s+(?:25|smtp)\b|\bdport\s+\{[^}]*\b(?:25|smtp)\b[^}]*\}|--dports?\s+(?:\S*,)?25\b/.test(rule);
const denies = (rule: string) => /\b(drop|reject)\b|-j\s+(DROP|REJECT)\b/.test(rule);
const isUnconditionalDeny = (rule: string, kind: Ruleset['kind']) =>
  kind === 'nftables'
    ? NFT_DENY.test(rule) || /^counter(\s+packets \d+ bytes \d+)?\s+(drop|reject)/.test(rule)
    : /^-j\s+(DROP|REJECT)\b/.test(rule);

/** Pure: default-deny input policy; outbound port 25 closed to everyone but the MTA's user. */
export function firewallFindings(ruleset: Ruleset | undefined): CheckResult[] {
  if (!ruleset || ruleset.chains.length === 0) {
    return [
      finding({
        id: 'firewall.input-policy',
        severity: 'warning',
        title: 'No firewall is active',
        evidence: ruleset
          ? `${ruleset.source}: no rules`
          : 'neither nft list ruleset nor iptables-save shows rules, and no saved ruleset exists',
        expected: 'nftables (or iptables) dropping incoming connections except the ports you serve',
        fix: 'apt-get install nftables; write /etc/nftables.conf with "policy drop;" in the input chain and accept 22, 25, 80, 443; systemctl enable --now nftables',
      }),
      finding({
        id: 'firewall.outbound-25',
        severity: 'warning',
        title: 'Outbound port 25 is open to every process',
        evidence: 'no firewall rules',
        expected: 'only the MTA’s user may connect to remote port 25',
        fix: BLOCK_OUTBOUND_25,
      }),
    ];
  }
  const results: CheckResult[] = [];
  const inputs = ruleset.chains.filter((c) => c.hook === 'input');
  const denying = inputs.find(
    (c) => c.policy === 'drop' || (c.rules.length > 0 && isUnconditionalDeny(c.rules.at(-1) as string, ruleset.kind)),
  );
  results.push(
    denying
      ? pass(
          'firewall.input-policy',
          `${ruleset.source}: ${ruleset.kind} ${denying.table} ${denying.name} denies by default`,
        )
      : finding({
          id: 'firewall.input-policy',
          severity: 'warning',
          title: 'The firewall accepts incoming connections by default',
          evidence: `${ruleset.source}: ${inputs.length === 0 ? 'no input chain' : inputs.map((c) => `${c.table} ${c.name} policy ${c.policy ?? 'accept'}`).join(', ')}`,
          expected: 'input policy drop, with explicit accepts for the services you run',
          fix:
            ruleset.kind === 'nftables'
              ? 'in the input chain: type filter hook input priority 0; policy drop;  (accept lo, established, 22, 25, 80, 443 first)'
              : 'iptables -P INPUT DROP   (after accepting lo, established, 22, 25, 80, 443)',
        }),
  );
  const outputs = ruleset.chains.filter((c) => c.hook === 'output');
  const regular = ruleset.chains.filter((c) => c.hook === undefined);
  const smtpDeny = [...outputs, ...regular].flatMap((c) =>
    c.rules.filter((r) => mentions25(r) && denies(r)).map((r) => `${c.name}: ${r}`),
  );
  const ownerScoped = [...outputs, ...regular].flatMap((c) =>
    c.rules.filter((r) => mentions25(r) && /skuid|uid-owner|skgid|gid-owner/.test(r)),
  );
  const outputDrops =
    outputs.some((c) => c.policy === 'drop') &&
    !outputs.some((c) =>
      c.rules.some(
        (r) => mentions25(r) && /\baccept\b|-j\s+ACCEPT/.test(r) && !/skuid|uid-owner|skgid|gid-owner/.test(r),
      ),
    );
  results.push(
    smtpDeny.length > 0 || outputDrops
      ? pass(
          'firewall.outbound-25',
          `${ruleset.source}: ${smtpDeny[0] ?? 'output policy drop'}${ownerScoped.length > 0 ? ` (allowed: ${ownerScoped[0]})` : ''}`,
        )
      : finding({
          id: 'firewall.outbound-25',
          severity: 'warning',
          title: 'Outbound port 25 is open to every process',
          evidence: `${ruleset.source}: no output rule limits tcp port 25`,
          expected:
            'only the MTA’s user may connect to remote port 25, so a hijacked web app cannot send spam around it',
          fix:
            ruleset.kind === 'nftables'
              ? `${BLOCK_OUTBOUND_25}   (and put it in /etc/nftables.conf)`
              : 'iptables -A OUTPUT -p tcp --dport 25 -m owner ! --uid-owner postfix -j REJECT',
        }),
  );
  return results;
}

/** The active ruleset on a live host (nft, then iptables-save); the saved one under another root. */
export async function checkFirewall(host: Host): Promise<CheckResult[]> {
  const nft = await host.run('nft', ['list', 'ruleset']);
  if (nft && nft.code === 0 && /\btable\b/.test(nft.stdout))
    return firewallFindings(parseNftRuleset(nft.stdout, 'nft list ruleset'));
  const ipt = await host.run('iptables-save', []);
  if (ipt && ipt.code === 0 && /^(-A |:INPUT DROP)/m.test(ipt.stdout))
    return firewallFindings(parseIptablesSave(ipt.stdout, 'iptables-save'));
  const saved = host.read('/etc/nftables.conf');
  if (saved && /\btable\b/.test(saved))
    return firewallFindings(
      parseNftRuleset(saved, host.live ? '/etc/nftables.conf (saved, not read from the kernel)' : '/etc/nftables.conf'),
    );
  const rules = host.read('/etc/iptables/rules.v4');
  if (rules)
    return firewallFindings(
      parseIptablesSave(
        rules,
        host.live ? '/etc/iptables/rules.v4 (saved, not read from the kernel)' : '/etc/iptables/rules.v4',
      ),
    );
  return firewallFindings(undefined);
}
