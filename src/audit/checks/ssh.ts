import { posix } from 'node:path';
import { finding, pass, skipped, type CheckResult } from '../finding.js';
import type { Host } from '../host.js';

/** OpenSSH's compiled-in defaults for the settings we judge (OpenSSH 7.0 and later). */
const DEFAULTS: Record<string, string> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  permitemptypasswords: 'no',
  maxauthtries: '6',
};

export interface SshSettings {
  /** Lower-case keyword → value and where it came from. */
  values: Map<string, { value: string; source: string }>;
  /** Where the settings were read from (sshd -T or the files). */
  origin: string;
}

/** `sshd -T` prints the effective configuration, one lower-case `keyword value` per line. */
export function parseSshdT(output: string): SshSettings {
  const values = new Map<string, { value: string; source: string }>();
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m) values.set((m[1] as string).toLowerCase(), { value: (m[2] as string).trim(), source: 'sshd -T' });
  }
  return { values, origin: 'sshd -T' };
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
}

/**
 * The global settings of sshd_config as sshd reads them: keywords are case-insensitive, the first
 * value obtained wins, `Include` (globs, relative to /etc/ssh) is read in place, and lines inside
 * `Match` blocks are conditional, so they do not count as global settings.
 */
export function readSshdConfig(
  read: (path: string) => string | undefined,
  list: (dir: string) => string[],
  path = '/etc/ssh/sshd_config',
): SshSettings | undefined {
  const values = new Map<string, { value: string; source: string }>();
  const seen = new Set<string>();
  const visit = (file: string, depth: number): boolean => {
    if (depth > 16 || seen.has(file)) return false;
    seen.add(file);
    const text = read(file);
    if (text === undefined) return false;
    let inMatch = false;
    text.split('\n').forEach((raw, index) => {
      const line = raw.replace(/#.*$/, '').trim();
      const m = /^(\S+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (!m) return;
      const keyword = (m[1] as string).toLowerCase();
      const value = (m[2] as string).trim().replace(/^"(.*)"$/, '$1');
      if (keyword === 'match') {
        inMatch = true;
        return;
      }
      if (keyword === 'include') {
        for (const pattern of value.split(/\s+/)) {
          const full = pattern.startsWith('/') ? pattern : posix.join('/etc/ssh', pattern);
          const dir = posix.dirname(full);
          const re = globToRegExp(posix.basename(full));
          const matches = /[*?]/.test(full)
            ? list(dir)
                .filter((name) => re.test(name))
                .map((name) => posix.join(dir, name))
            : [full];
          for (const included of matches) visit(included, depth + 1);
        }
        return;
      }
      if (!inMatch && !values.has(keyword)) values.set(keyword, { value, source: `${file}:${index + 1}` });
    });
    return true;
  };
  return visit(path, 0) ? { values, origin: path } : undefined;
}

function setting(settings: SshSettings, keyword: string): { value: string; source: string } {
  return settings.values.get(keyword) ?? { value: DEFAULTS[keyword] as string, source: 'OpenSSH default' };
}

/** PermitRootLogin, PasswordAuthentication, PermitEmptyPasswords, MaxAuthTries. Pure. */
export function sshFindings(settings: SshSettings): CheckResult[] {
  const results: CheckResult[] = [];
  const rootLogin = setting(settings, 'permitrootlogin');
  const passwords = setting(settings, 'passwordauthentication');
  const empty = setting(settings, 'permitemptypasswords');
  const tries = setting(settings, 'maxauthtries');
  const passwordsOn = passwords.value.toLowerCase() === 'yes';

  results.push(
    rootLogin.value.toLowerCase() === 'yes'
      ? finding({
          id: 'ssh.permit-root-login',
          severity: passwordsOn ? 'critical' : 'warning',
          title: passwordsOn ? 'root can log in over SSH with a password' : 'root can log in over SSH',
          evidence: `PermitRootLogin yes (${rootLogin.source})${passwordsOn ? ', PasswordAuthentication yes' : ''}`,
          expected: 'PermitRootLogin no (or prohibit-password: keys only)',
          fix: 'PermitRootLogin no   # in /etc/ssh/sshd_config.d/listwarden.conf, then: systemctl reload ssh',
        })
      : pass('ssh.permit-root-login', `PermitRootLogin ${rootLogin.value} (${rootLogin.source})`),
  );
  results.push(
    passwordsOn
      ? finding({
          id: 'ssh.password-authentication',
          severity: 'warning',
          title: 'SSH accepts passwords',
          evidence: `PasswordAuthentication yes (${passwords.source})`,
          expected: 'PasswordAuthentication no: keys only, so password guessing gets nowhere',
          fix: 'PasswordAuthentication no   # after installing your key with ssh-copy-id; then: systemctl reload ssh',
        })
      : pass('ssh.password-authentication', `PasswordAuthentication ${passwords.value} (${passwords.source})`),
  );
  results.push(
    empty.value.toLowerCase() === 'yes'
      ? finding({
          id: 'ssh.permit-empty-passwords',
          severity: 'critical',
          title: 'SSH lets accounts with an empty password in',
          evidence: `PermitEmptyPasswords yes (${empty.source})`,
          expected: 'PermitEmptyPasswords no',
          fix: 'PermitEmptyPasswords no   # then: systemctl reload ssh',
        })
      : pass('ssh.permit-empty-passwords', `PermitEmptyPasswords ${empty.value} (${empty.source})`),
  );
  const n = Number(tries.value);
  results.push(
    Number.isInteger(n) && n > 4
      ? finding({
          id: 'ssh.max-auth-tries',
          severity: 'suggestion',
          title: 'SSH allows many authentication attempts per connection',
          evidence: `MaxAuthTries ${tries.value} (${tries.source})`,
          expected: 'MaxAuthTries 3 or 4',
          fix: 'MaxAuthTries 3   # then: systemctl reload ssh',
        })
      : pass('ssh.max-auth-tries', `MaxAuthTries ${tries.value} (${tries.source})`),
  );
  return results;
}

export async function checkSsh(host: Host): Promise<CheckResult[]> {
  const effective = await host.run('sshd', ['-T']);
  if (effective && effective.code === 0 && effective.stdout.includes('permitrootlogin'))
    return sshFindings(parseSshdT(effective.stdout));
  const files = readSshdConfig(
    (p) => host.read(p),
    (d) => host.list(d),
  );
  if (!files) return [skipped('ssh', 'no SSH server configuration (/etc/ssh/sshd_config) on this host')];
  return sshFindings(files);
}
