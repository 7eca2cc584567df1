import { finding, pass, skipped, type CheckResult } from '../finding.js';
import type { Host } from '../host.js';

const DAY_MS = 86_400_000;
const NO_LOGIN_SHELLS = /(?:^|\/)(?:nologin|false|sync|shutdown|halt)$/;

interface PasswdEntry {
  name: string;
  uid: number;
  shell: string;
}

interface ShadowEntry {
  name: string;
  hash: string;
  /** Days since 1970-01-01 of the last change; undefined when the field is empty. */
  lastChange: number | undefined;
}

/** The colon-separated records of /etc/passwd or /etc/shadow with at least `fields` fields. */
function records(text: string, fields: number): string[][] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(':'))
    .filter((f) => f.length >= fields);
}

export function parsePasswd(text: string): PasswdEntry[] {
  return records(text, 7).map((f) => ({ name: f[0] as string, uid: Number(f[2]), shell: (f[6] as string).trim() }));
}

export function parseShadow(text: string): ShadowEntry[] {
  return records(text, 3).map((f) => ({
    name: f[0] as string,
    hash: f[1] as string,
    lastChange: f[2] === '' ? undefined : Number(f[2]),
  }));
}

const isoDay = (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10);
const locked = (hash: string) => hash.startsWith('!') || hash.startsWith('*');

/**
 * Root's password age (never changed since the install, or older than a year), login accounts
 * with an empty password, UID 0 accounts other than root. The install day is the day the
 * system accounts (UID 1-999) got their shadow entries: root's password set that same day was
 * never changed.
 */
export function accountFindings(passwdText: string, shadowText: string | undefined, now: number): CheckResult[] {
  const users = parsePasswd(passwdText);
  const results: CheckResult[] = [];

  const extraRoots = users.filter((u) => u.uid === 0 && u.name !== 'root');
  results.push(
    extraRoots.length > 0
      ? finding({
          id: 'accounts.uid0',
          severity: 'critical',
          title: 'An account other than root has UID 0',
          evidence: `/etc/passwd: ${extraRoots.map((u) => `${u.name} (uid 0, shell ${u.shell})`).join(', ')}`,
          expected: 'root is the only account with UID 0',
          fix: extraRoots.map((u) => `userdel ${u.name}  # or: usermod -u <free uid> ${u.name}`).join('; '),
        })
      : pass('accounts.uid0', 'root is the only UID 0 account'),
  );

  if (shadowText === undefined) {
    results.push(skipped('accounts.root-password-age', '/etc/shadow is not readable (run the audit as root)'));
    results.push(skipped('accounts.empty-password', '/etc/shadow is not readable (run the audit as root)'));
    return results;
  }
  const shadow = new Map(parseShadow(shadowText).map((s) => [s.name, s]));
  const today = Math.floor(now / DAY_MS);

  const root = shadow.get('root');
  const installDays = users
    .filter((u) => u.uid > 0 && u.uid < 1000)
    .map((u) => shadow.get(u.name)?.lastChange)
    .filter((d): d is number => d !== undefined && d > 0);
  const installDay = installDays.length > 0 ? Math.min(...installDays) : undefined;
  if (!root) {
    results.push(skipped('accounts.root-password-age', '/etc/shadow has no root entry'));
  } else if (locked(root.hash) || root.hash === '') {
    results.push(
      root.hash === ''
        ? finding({
            id: 'accounts.root-password-age',
            severity: 'critical',
            title: 'root has no password',
            evidence: '/etc/shadow: root has an empty password field',
            expected: 'a strong password or a locked one (root logs in by key or through sudo)',
            fix: 'passwd root',
          })
        : pass('accounts.root-password-age', 'root password is locked: root logs in by key or through sudo only'),
    );
  } else if (root.lastChange === undefined || root.lastChange === 0) {
    results.push(
      finding({
        id: 'accounts.root-password-age',
        severity: 'warning',
        title: 'root password has no change date',
        evidence: `/etc/shadow: root's last-change field is ${root.lastChange === 0 ? '0 (must change at next login)' : 'empty'}`,
        expected: 'a password changed within the last year',
        fix: 'passwd root',
      }),
    );
  } else if (installDay !== undefined && root.lastChange <= installDay + 1 && today - installDay > 30) {
    results.push(
      finding({
        id: 'accounts.root-password-age',
        severity: 'warning',
        title: 'root password never changed since the install',
        evidence: `/etc/shadow: root's password was set on ${isoDay(root.lastChange)}, the day the system accounts were created (${isoDay(installDay)}), ${today - root.lastChange} days ago`,
        expected:
          'a root password changed after the install (the hoster and the installer knew the first one), or a locked root password',
        fix: 'passwd root   # or lock it and use keys and sudo: passwd -l root',
      }),
    );
  } else if (today - root.lastChange > 365) {
    results.push(
      finding({
        id: 'accounts.root-password-age',
        severity: 'warning',
        title: 'root password older than a year',
        evidence: `/etc/shadow: root's password was last changed on ${isoDay(root.lastChange)}, ${today - root.lastChange} days ago`,
        expected: 'a root password changed within the last 365 days, or a locked root password',
        fix: 'passwd root',
      }),
    );
  } else {
    results.push(pass('accounts.root-password-age', `root's password was changed on ${isoDay(root.lastChange)}`));
  }

  const logins = users.filter((u) => !NO_LOGIN_SHELLS.test(u.shell));
  const empty = logins.filter((u) => shadow.get(u.name)?.hash === '' && u.name !== 'root');
  results.push(
    empty.length > 0
      ? finding({
          id: 'accounts.empty-password',
          severity: 'critical',
          title: 'Login accounts without a password',
          evidence: `/etc/shadow: ${empty.map((u) => `${u.name} (shell ${u.shell})`).join(', ')} have an empty password field`,
          expected: 'every account with a login shell has a password or a locked one',
          fix: empty.map((u) => `passwd -l ${u.name}`).join('; '),
        })
      : pass('accounts.empty-password', `${logins.length} login accounts, none without a password`),
  );
  const lockedLogins = logins.filter((u) => u.name !== 'root' && locked(shadow.get(u.name)?.hash ?? '!'));
  if (lockedLogins.length > 0) {
    results.push(
      finding({
        id: 'accounts.locked-login',
        severity: 'info',
        title: 'Login accounts with a locked password',
        evidence: `${lockedLogins.map((u) => u.name).join(', ')} have a login shell but a locked password (key login only)`,
        expected: 'service accounts have /usr/sbin/nologin as their shell',
        fix: lockedLogins.map((u) => `usermod -s /usr/sbin/nologin ${u.name}  # if it is a service account`).join('; '),
      }),
    );
  }
  return results;
}

export async function checkAccounts(host: Host): Promise<CheckResult[]> {
  const passwd = host.read('/etc/passwd');
  if (passwd === undefined) return [skipped('accounts', '/etc/passwd is not readable')];
  return accountFindings(passwd, host.read('/etc/shadow'), host.now);
}
