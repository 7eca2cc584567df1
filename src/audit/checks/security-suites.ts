import { finding, pass, type CheckResult } from '../finding.js';
import type { Host } from '../host.js';
import { hasSoftware, installedDebianPackages } from './packages.js';

const DAY_MS = 86_400_000;
const MAIL_JAILS =
  /^(postfix|postfix-sasl|postfix-rbl|dovecot|exim|exim-spam|sendmail-auth|sendmail-reject|courier-smtp|courier-auth|haraka|listwarden)$/;
const SSH_JAILS = /^(sshd|ssh|sshd-ddos|dropbear)$/;

/**
 * fail2ban's jails in the order fail2ban reads them (jail.conf, jail.d/*.conf, jail.local,
 * jail.d/*.local; later files override): the names of the jails that end up enabled.
 */
export function enabledJails(files: readonly string[]): Set<string> {
  const enabled = new Map<string, boolean>();
  let defaultEnabled = false;
  for (const text of files) {
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.replace(/^\s*[#;].*$/, '').trim();
      const header = /^\[([^\]]+)\]$/.exec(line);
      if (header) {
        section = (header[1] as string).trim();
        if (section !== 'DEFAULT' && section !== 'INCLUDES' && !enabled.has(section))
          enabled.set(section, defaultEnabled);
        continue;
      }
      const m = /^enabled\s*[=:]\s*(\S+)/i.exec(line);
      if (!m) continue;
      const on = /^(true|yes|1|on)$/i.test(m[1] as string);
      if (section === 'DEFAULT') defaultEnabled = on;
      else if (section) enabled.set(section, on);
    }
  }
  return new Set([...enabled].filter(([, on]) => on).map(([name]) => name));
}

export interface SuiteState {
  fail2ban: { installed: boolean; jails: Set<string> };
  clamav: { installed: boolean; signaturesAgeDays: number | undefined };
  rootkitScanner: string | undefined;
  aide: { installed: boolean; database: boolean };
}

/** Pure: fail2ban with an SSH and a mail jail, a malware scanner with fresh signatures, AIDE. */
export function suiteFindings(state: SuiteState): CheckResult[] {
  const results: CheckResult[] = [];
  const jails = [...state.fail2ban.jails];
  if (!state.fail2ban.installed) {
    results.push(
      finding({
        id: 'suites.fail2ban',
        severity: 'warning',
        title: 'fail2ban is not installed',
        evidence: 'no fail2ban package or /usr/bin/fail2ban-server',
        expected: 'fail2ban bans addresses that guess SSH and mail passwords',
        fix: 'apt-get install fail2ban',
      }),
    );
  } else {
    results.push(pass('suites.fail2ban', `fail2ban installed; jails enabled: ${jails.join(', ') || 'none'}`));
    const ssh = jails.filter((j) => SSH_JAILS.test(j));
    results.push(
      ssh.length > 0
        ? pass('suites.fail2ban-ssh', `SSH jail ${ssh.join(', ')} enabled`)
        : finding({
            id: 'suites.fail2ban-ssh',
            severity: 'warning',
            title: 'fail2ban has no SSH jail',
            evidence: `enabled jails: ${jails.join(', ') || 'none'}`,
            expected: 'the sshd jail enabled',
            fix: 'printf "[sshd]\\nenabled = true\\n" > /etc/fail2ban/jail.d/sshd.local && systemctl restart fail2ban',
          }),
    );
    const mail = jails.filter((j) => MAIL_JAILS.test(j));
    results.push(
      mail.length > 0
        ? pass('suites.fail2ban-mail', `mail jail ${mail.join(', ')} enabled`)
        : finding({
            id: 'suites.fail2ban-mail',
            severity: 'suggestion',
            title: 'fail2ban has no mail jail',
            evidence: `enabled jails: ${jails.join(', ') || 'none'}`,
            expected:
              'a jail for the MTA’s authentication (postfix-sasl or dovecot), so stolen-password spam runs get banned',
            fix: 'printf "[postfix-sasl]\\nenabled = true\\n" > /etc/fail2ban/jail.d/mail.local && systemctl restart fail2ban',
          }),
    );
  }
  if (state.clamav.installed) {
    const age = state.clamav.signaturesAgeDays;
    results.push(
      age === undefined || age > 7
        ? finding({
            id: 'suites.malware-scanner',
            severity: 'warning',
            title: 'ClamAV signatures are stale',
            evidence:
              age === undefined
                ? 'ClamAV is installed but /var/lib/clamav has no daily signatures'
                : `/var/lib/clamav/daily signatures are ${Math.floor(age)} days old`,
            expected: 'signatures updated within the last 7 days',
            fix: 'systemctl enable --now clamav-freshclam   # or run: freshclam',
          })
        : pass('suites.malware-scanner', `ClamAV signatures ${age.toFixed(1)} days old`),
    );
  } else if (state.rootkitScanner) {
    results.push(pass('suites.malware-scanner', `${state.rootkitScanner} installed`));
  } else {
    results.push(
      finding({
        id: 'suites.malware-scanner',
        severity: 'suggestion',
        title: 'No malware or rootkit scanner',
        evidence: 'none of ClamAV, rkhunter, chkrootkit is installed',
        expected: 'a scanner that finds web shells and rootkits (the usual spam-run tooling)',
        fix: 'apt-get install clamav clamav-freshclam rkhunter',
      }),
    );
  }
  results.push(
    state.aide.installed && state.aide.database
      ? pass('suites.integrity', 'AIDE installed with a database')
      : finding({
          id: 'suites.integrity',
          severity: 'suggestion',
          title: state.aide.installed ? 'AIDE has no database' : 'No file integrity monitoring',
          evidence: state.aide.installed
            ? 'AIDE is installed but /var/lib/aide/aide.db does not exist'
            : 'AIDE is not installed',
          expected: 'AIDE with a baseline database, checked daily, so changed binaries and dropped scripts show up',
          fix: state.aide.installed
            ? 'aideinit && cp /var/lib/aide/aide.db.new /var/lib/aide/aide.db'
            : 'apt-get install aide && aideinit',
        }),
  );
  return results;
}

export async function checkSecuritySuites(host: Host): Promise<CheckResult[]> {
  const packages = installedDebianPackages(host.read('/var/lib/dpkg/status'));
  const jailFiles = [
    '/etc/fail2ban/jail.conf',
    ...host
      .list('/etc/fail2ban/jail.d')
      .filter((n) => n.endsWith('.conf'))
      .map((n) => `/etc/fail2ban/jail.d/${n}`),
    '/etc/fail2ban/jail.local',
    ...host
      .list('/etc/fail2ban/jail.d')
      .filter((n) => n.endsWith('.local'))
      .map((n) => `/etc/fail2ban/jail.d/${n}`),
  ]
    .map((p) => host.read(p))
    .filter((t): t is string => t !== undefined);
  const signatures = host
    .list('/var/lib/clamav')
    .filter((n) => /^daily\.(cvd|cld)$/.test(n))
    .map((n) => host.mtime(`/var/lib/clamav/${n}`) ?? 0);
  const rootkit = [
    ['rkhunter', '/usr/bin/rkhunter'],
    ['chkrootkit', '/usr/sbin/chkrootkit'],
  ].find(([name, program]) => hasSoftware(host, packages, name as string, [program as string]))?.[0];
  return suiteFindings({
    fail2ban: {
      installed: hasSoftware(host, packages, 'fail2ban', ['/usr/bin/fail2ban-server']),
      jails: enabledJails(jailFiles),
    },
    clamav: {
      installed: hasSoftware(host, packages, 'clamav', ['/usr/bin/clamscan', '/usr/sbin/clamd']),
      signaturesAgeDays: signatures.length > 0 ? (host.now - Math.max(...signatures)) / DAY_MS : undefined,
    },
    rootkitScanner: rootkit,
    aide: {
      installed: hasSoftware(host, packages, 'aide', ['/usr/bin/aide', '/usr/sbin/aide']),
      database: host.exists('/var/lib/aide/aide.db') || host.exists('/var/lib/aide/aide.db.gz'),
    },
  });
}
