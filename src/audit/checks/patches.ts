import { finding, pass, skipped, type CheckResult } from '../finding.js';
import type { Host } from '../host.js';
import { compareVersions, hasSoftware, installedDebianPackages } from './packages.js';

const DAY_MS = 86_400_000;

export interface PendingUpdate {
  name: string;
  installed: string;
  candidate: string;
  origins: string;
  security: boolean;
}

/** `apt-get -s dist-upgrade`: `Inst openssl [3.0.11-1] (3.0.15-1 Debian-Security:12/stable-security [amd64])`. */
export function parseAptSimulation(output: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  for (const line of output.split('\n')) {
    const m = /^Inst (\S+) \[([^\]]+)\] \((\S+) (.*?)(?: \[[^\]]+\])?\)/.exec(line);
    if (!m) continue;
    const origins = m[4] as string;
    updates.push({
      name: m[1] as string,
      installed: m[2] as string,
      candidate: m[3] as string,
      origins,
      security: /security/i.test(origins),
    });
  }
  return updates;
}

/** `dnf updateinfo list --security`: `RHSA-2024:1234 Important/Sec. openssl-1:3.0.7-27.el9.x86_64`. */
export function parseDnfSecurity(output: string): PendingUpdate[] {
  return output
    .split('\n')
    .map((line) => /^(\S+)\s+\S*Sec\.\s+(\S+)/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      name: m[2] as string,
      installed: '',
      candidate: m[2] as string,
      origins: m[1] as string,
      security: true,
    }));
}

/** APT::Periodic::Unattended-Upgrade "1" in any apt.conf.d file (the last one read wins, as in apt). */
export function unattendedUpgradesEnabled(files: readonly { name: string; text: string }[]): {
  enabled: boolean;
  source?: string;
} {
  let result: { enabled: boolean; source?: string } = { enabled: false };
  for (const file of files) {
    for (const m of file.text.replace(/\/\/.*$/gm, '').matchAll(/APT::Periodic::Unattended-Upgrade\s+"(\d+)"\s*;/gi)) {
      result = { enabled: m[1] !== '0', source: file.name };
    }
  }
  return result;
}

export interface PatchState {
  /** undefined: the package manager could not be asked. */
  pending: PendingUpdate[] | undefined;
  manager: 'apt' | 'dnf' | undefined;
  listsAgeDays: number | undefined;
  unattended: { installed: boolean; enabled: boolean; source?: string } | undefined;
  rebootRequired: { packages: string[] } | undefined;
  runningKernel: string | undefined;
  installedKernels: string[];
}

/** Pure: security updates pending, unattended upgrades, reboot required, running kernel vs installed. */
export function patchFindings(state: PatchState): CheckResult[] {
  const results: CheckResult[] = [];
  if (state.pending === undefined) {
    results.push(
      skipped('patches.security-updates', 'no package manager that Listwarden can ask (apt-get or dnf) for this root'),
    );
  } else {
    const security = state.pending.filter((u) => u.security);
    const listNames = security
      .slice(0, 15)
      .map((u) => `${u.name} ${u.installed ? `${u.installed} → ` : ''}${u.candidate}`);
    results.push(
      security.length > 0
        ? finding({
            id: 'patches.security-updates',
            severity: 'critical',
            title: `${security.length} security update${security.length === 1 ? '' : 's'} not installed`,
            evidence: `${state.manager === 'dnf' ? 'dnf updateinfo list --security' : 'apt-get -s dist-upgrade'}: ${listNames.join(', ')}${security.length > 15 ? `, and ${security.length - 15} more` : ''}`,
            expected: 'no pending security updates',
            fix: state.manager === 'dnf' ? 'dnf upgrade --security' : 'apt-get update && apt-get dist-upgrade',
          })
        : pass('patches.security-updates', `no pending security updates (${state.pending.length} other updates)`),
    );
    if (state.listsAgeDays !== undefined && state.listsAgeDays > 7) {
      results.push(
        finding({
          id: 'patches.package-lists-age',
          severity: 'suggestion',
          title: 'Package lists are old',
          evidence: `/var/lib/apt/lists was last refreshed ${Math.floor(state.listsAgeDays)} days ago: newer security updates are not known to this check`,
          expected: 'package lists refreshed daily',
          fix: 'apt-get update   # unattended-upgrades refreshes them daily',
        }),
      );
    }
  }
  if (state.unattended === undefined)
    results.push(skipped('patches.unattended-upgrades', 'not a Debian or RHEL-family system'));
  else
    results.push(
      state.unattended.installed && state.unattended.enabled
        ? pass(
            'patches.unattended-upgrades',
            `automatic security updates on (${state.unattended.source ?? 'configured'})`,
          )
        : finding({
            id: 'patches.unattended-upgrades',
            severity: 'warning',
            title: 'Security updates are not installed automatically',
            evidence: state.unattended.installed
              ? 'unattended upgrades are installed but APT::Periodic::Unattended-Upgrade is not "1"'
              : state.manager === 'dnf'
                ? 'dnf-automatic is not installed or does not apply updates'
                : 'the package unattended-upgrades is not installed',
            expected: 'security updates installed every day without waiting for an admin',
            fix:
              state.manager === 'dnf'
                ? 'dnf install dnf-automatic && systemctl enable --now dnf-automatic-install.timer'
                : 'apt-get install unattended-upgrades && dpkg-reconfigure -f noninteractive unattended-upgrades',
          }),
    );
  results.push(
    state.rebootRequired
      ? finding({
          id: 'patches.reboot-required',
          severity: 'warning',
          title: 'A reboot is required to finish updates',
          evidence: `/run/reboot-required exists${state.rebootRequired.packages.length > 0 ? ` (for ${state.rebootRequired.packages.slice(0, 10).join(', ')})` : ''}: the patched code is not running yet`,
          expected: 'no pending reboot',
          fix: 'reboot at a quiet hour (or set Unattended-Upgrade::Automatic-Reboot "true";)',
        })
      : pass('patches.reboot-required', 'no reboot pending'),
  );
  const newest = [...state.installedKernels].sort(compareVersions).at(-1);
  if (!state.runningKernel || !newest)
    results.push(
      skipped(
        'patches.kernel',
        state.runningKernel
          ? 'no kernel images in /boot (a container shares its host kernel)'
          : 'the running kernel is unknown for this root',
      ),
    );
  else
    results.push(
      compareVersions(state.runningKernel, newest) < 0
        ? finding({
            id: 'patches.kernel',
            severity: 'warning',
            title: 'The running kernel is older than the installed one',
            evidence: `running ${state.runningKernel}, installed ${newest} (/boot/vmlinuz-${newest})`,
            expected: 'the newest installed kernel is the running one',
            fix: 'reboot into the new kernel',
          })
        : pass('patches.kernel', `running kernel ${state.runningKernel} is the newest installed`),
    );
  return results;
}

function aptArgs(root: string): string[] {
  return [
    '-s',
    '-q',
    '-o',
    `Dir=${root}`,
    '-o',
    `Dir::State::status=${root.replace(/\/$/, '')}/var/lib/dpkg/status`,
    '-o',
    'Dir::Cache::pkgcache=',
    '-o',
    'Dir::Cache::srcpkgcache=',
    '-o',
    'Debug::NoLocking=1',
    'dist-upgrade',
  ];
}

/** Gathers the patch state of the host (apt or dnf), then judges it. */
export async function checkPatches(host: Host): Promise<CheckResult[]> {
  const dpkgStatus = host.read('/var/lib/dpkg/status');
  const packages = installedDebianPackages(dpkgStatus);
  const state: PatchState = {
    pending: undefined,
    manager: undefined,
    listsAgeDays: undefined,
    unattended: undefined,
    rebootRequired: undefined,
    runningKernel: undefined,
    installedKernels: [],
  };
  if (dpkgStatus !== undefined) {
    state.manager = 'apt';
    const simulation = await host.runTool('apt-get', aptArgs(host.root), { timeoutMs: 8000 });
    if (simulation && simulation.code === 0) state.pending = parseAptSimulation(simulation.stdout);
    const listTimes = host
      .list('/var/lib/apt/lists')
      .filter((n) => n.endsWith('Release'))
      .map((n) => host.mtime(`/var/lib/apt/lists/${n}`) ?? 0);
    if (listTimes.length > 0) state.listsAgeDays = (host.now - Math.max(...listTimes)) / DAY_MS;
    const confFiles = host
      .list('/etc/apt/apt.conf.d')
      .map((name) => ({ name: `/etc/apt/apt.conf.d/${name}`, text: host.read(`/etc/apt/apt.conf.d/${name}`) ?? '' }));
    state.unattended = {
      installed: hasSoftware(host, packages, 'unattended-upgrades', ['/usr/bin/unattended-upgrade']),
      ...unattendedUpgradesEnabled(confFiles),
    };
  } else if (host.exists('/etc/redhat-release')) {
    state.manager = 'dnf';
    const info = await host.run('dnf', ['-q', '-C', 'updateinfo', 'list', '--security'], { timeoutMs: 8000 });
    if (info && info.code === 0) state.pending = parseDnfSecurity(info.stdout);
    const automatic = host.read('/etc/dnf/automatic.conf');
    state.unattended = {
      installed: automatic !== undefined,
      enabled: /^\s*apply_updates\s*=\s*(yes|true|1)\s*$/m.test(automatic ?? ''),
      source: '/etc/dnf/automatic.conf',
    };
  }
  const rebootFile = ['/run/reboot-required', '/var/run/reboot-required'].find((p) => host.exists(p));
  if (rebootFile)
    state.rebootRequired = { packages: (host.read(`${rebootFile}.pkgs`) ?? '').split('\n').filter(Boolean) };
  state.runningKernel = host.read('/proc/sys/kernel/osrelease')?.trim() || undefined;
  state.installedKernels = host
    .list('/boot')
    .filter((n) => n.startsWith('vmlinuz-'))
    .map((n) => n.slice('vmlinuz-'.length));
  return patchFindings(state);
}

/** `npm audit --json` of the install: advisories by severity. */
export function npmAuditFindings(json: string): CheckResult {
  let counts: Record<string, number> = {};
  try {
    counts =
      (JSON.parse(json) as { metadata?: { vulnerabilities?: Record<string, number> } }).metadata?.vulnerabilities ?? {};
  } catch {
    return skipped('patches.npm-advisories', 'npm audit did not print JSON');
  }
  const serious = (counts.critical ?? 0) + (counts.high ?? 0);
  const any = serious + (counts.moderate ?? 0) + (counts.low ?? 0);
  if (any === 0) return pass('patches.npm-advisories', 'npm audit: no known advisories in Listwarden’s dependencies');
  return finding({
    id: 'patches.npm-advisories',
    severity: serious > 0 ? 'warning' : 'suggestion',
    title: 'Listwarden’s dependencies have known advisories',
    evidence: `npm audit: ${Object.entries(counts)
      .filter(([k, v]) => k !== 'total' && v > 0)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    expected: 'no known advisories',
    fix: 'upgrade Listwarden to the latest release (npm audit fix in its install directory)',
  });
}
