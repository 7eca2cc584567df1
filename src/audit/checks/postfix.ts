import { isIP } from 'node:net';
import { finding, pass, skipped, type CheckResult } from '../finding.js';
import type { Host } from '../host.js';

/** main.cf: `name = value`, continuation lines start with whitespace, `#` comments whole lines. */
export function parseMainCf(text: string): Map<string, { value: string; line: number }> {
  const values = new Map<string, { value: string; line: number }>();
  let current: { name: string; value: string; line: number } | undefined;
  const flush = () => {
    if (current) values.set(current.name, { value: current.value.trim(), line: current.line });
    current = undefined;
  };
  text.split('\n').forEach((raw, index) => {
    if (/^\s*#/.test(raw) || raw.trim() === '') return;
    if (/^\s/.test(raw) && current) {
      current.value += ` ${raw.trim()}`;
      return;
    }
    flush();
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(raw);
    if (m) current = { name: m[1] as string, value: m[2] as string, line: index + 1 };
  });
  flush();
  return values;
}

/** Postfix's defaults (compatibility_level 2 and later) for the parameters we judge. */
const DEFAULTS: Record<string, string> = {
  mynetworks_style: 'host',
  smtpd_relay_restrictions: 'permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination',
  smtpd_recipient_restrictions: '',
  disable_vrfy_command: 'no',
  smtpd_banner: '$myhostname ESMTP $mail_name',
};

const LOOPBACK = [
  /^127(\.\d{1,3}){3}\/(8|9|[12]\d|3[0-2])$/,
  /^127(\.\d{1,3}){3}$/,
  /^\[::1\](\/128)?$/,
  /^\[::ffff:127\.0\.0\.0\]\/(10[4-9]|1[12]\d)$/,
  /^::1(\/128)?$/,
];

/** An entry of mynetworks wider than this host: a whole public range is critical, a LAN a warning. */
function widthOf(entry: string): 'host' | 'lan' | 'wide' | 'unknown' {
  if (LOOPBACK.some((re) => re.test(entry))) return 'host';
  const [address = '', prefixText] = entry.replace(/^\[|\]/g, '').split('/');
  const version = isIP(address);
  if (version === 0) return 'unknown';
  const prefix = prefixText === undefined ? (version === 4 ? 32 : 128) : Number(prefixText);
  if ((version === 4 && prefix === 32) || (version === 6 && prefix === 128)) return 'host';
  const privateV4 =
    /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address) &&
    prefix >= 8 &&
    !(address.startsWith('172.') && prefix < 12) &&
    !(address.startsWith('192.168.') && prefix < 16);
  const privateV6 = /^f[cd]/i.test(address) && prefix >= 7;
  return privateV4 || privateV6 ? 'lan' : 'wide';
}

/** Pure: mynetworks, relay restrictions, VRFY, banner. */
export function postfixFindings(
  mainCf: Map<string, { value: string; line: number }>,
  source = '/etc/postfix/main.cf',
): CheckResult[] {
  const get = (name: string) => mainCf.get(name) ?? { value: DEFAULTS[name] ?? '', line: 0 };
  const where = (name: string) => (mainCf.get(name) ? `${source}:${mainCf.get(name)?.line}` : 'Postfix default');
  const results: CheckResult[] = [];

  const mynetworks = mainCf.get('mynetworks');
  if (mynetworks) {
    const entries = mynetworks.value.split(/[\s,]+/).filter(Boolean);
    const wide = entries.filter((e) => widthOf(e) === 'wide');
    const lan = entries.filter((e) => widthOf(e) === 'lan');
    const other = entries.filter((e) => widthOf(e) === 'unknown');
    results.push(
      wide.length > 0 || lan.length > 0
        ? finding({
            id: 'postfix.mynetworks',
            severity: wide.length > 0 ? 'critical' : 'warning',
            title:
              wide.length > 0
                ? 'Postfix relays for networks far beyond this host'
                : 'Postfix relays for a whole local network',
            evidence: `mynetworks = ${mynetworks.value} (${where('mynetworks')}): ${[...wide, ...lan].join(', ')} ${wide.length + lan.length === 1 ? 'is' : 'are'} trusted to relay without authentication`,
            expected: 'mynetworks = 127.0.0.0/8 [::1]/128 (this host only); other senders authenticate with SASL',
            fix: 'postconf -e "mynetworks = 127.0.0.0/8 [::1]/128" && postfix reload',
          })
        : other.length > 0
          ? finding({
              id: 'postfix.mynetworks',
              severity: 'suggestion',
              title: 'mynetworks names a table or host that this check cannot judge',
              evidence: `mynetworks = ${mynetworks.value} (${where('mynetworks')})`,
              expected: 'mynetworks = 127.0.0.0/8 [::1]/128',
              fix: 'check the listed tables hold this host’s addresses only',
            })
          : pass('postfix.mynetworks', `mynetworks = ${mynetworks.value}`),
    );
  } else {
    const style = get('mynetworks_style').value;
    results.push(
      style === 'host'
        ? pass('postfix.mynetworks', `mynetworks_style = host (${where('mynetworks_style')})`)
        : finding({
            id: 'postfix.mynetworks',
            severity: style === 'class' ? 'critical' : 'warning',
            title: `Postfix relays for every host of its ${style === 'class' ? 'class A/B/C network' : 'subnet'}`,
            evidence: `mynetworks_style = ${style} (${where('mynetworks_style')}) and no mynetworks`,
            expected: 'mynetworks_style = host, or mynetworks = 127.0.0.0/8 [::1]/128',
            fix: 'postconf -e "mynetworks = 127.0.0.0/8 [::1]/128" && postfix reload',
          }),
    );
  }

  const relay = get('smtpd_relay_restrictions').value;
  const recipient = get('smtpd_recipient_restrictions').value;
  const guards = (list: string) => /\b(reject|defer)_unauth_destination\b/.test(list);
  const relaySet = mainCf.has('smtpd_relay_restrictions');
  const protectedBy = guards(relay)
    ? 'smtpd_relay_restrictions'
    : guards(recipient)
      ? 'smtpd_recipient_restrictions'
      : undefined;
  results.push(
    protectedBy
      ? pass(
          'postfix.relay-restrictions',
          `${protectedBy} has ${/reject_unauth_destination/.test(get(protectedBy).value) ? 'reject' : 'defer'}_unauth_destination (${where(protectedBy)})`,
        )
      : finding({
          id: 'postfix.relay-restrictions',
          severity: 'critical',
          title: 'Postfix does not refuse mail for other domains from strangers',
          evidence: `smtpd_relay_restrictions = ${relay || '(empty)'} (${relaySet ? where('smtpd_relay_restrictions') : 'default'}), smtpd_recipient_restrictions = ${recipient || '(empty)'}: neither has reject_unauth_destination`,
          expected:
            'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
          fix: 'postconf -e "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" && postfix reload',
        }),
  );
  const vrfy = get('disable_vrfy_command').value.toLowerCase();
  results.push(
    vrfy === 'yes'
      ? pass('postfix.vrfy', 'disable_vrfy_command = yes')
      : finding({
          id: 'postfix.vrfy',
          severity: 'suggestion',
          title: 'VRFY is enabled',
          evidence: `disable_vrfy_command = ${vrfy} (${where('disable_vrfy_command')}): anyone can test which addresses exist`,
          expected: 'disable_vrfy_command = yes',
          fix: 'postconf -e "disable_vrfy_command = yes" && postfix reload',
        }),
  );
  const banner = get('smtpd_banner').value;
  results.push(
    /\$\{?mail_version\}?|\b\d+\.\d+(\.\d+)?\b/.test(banner)
      ? finding({
          id: 'postfix.banner',
          severity: 'suggestion',
          title: 'The SMTP banner shows the software version',
          evidence: `smtpd_banner = ${banner} (${where('smtpd_banner')})`,
          expected: 'smtpd_banner = $myhostname ESMTP',
          fix: 'postconf -e "smtpd_banner = \\$myhostname ESMTP" && postfix reload',
        })
      : pass('postfix.banner', `smtpd_banner = ${banner}`),
  );
  return results;
}

export async function checkPostfix(host: Host, configDir = '/etc/postfix'): Promise<CheckResult[]> {
  const file = `${configDir.replace(/\/+$/, '')}/main.cf`;
  const text = host.read(file);
  if (text === undefined) return [skipped('postfix', `Postfix is not configured on this host (${file})`)];
  return postfixFindings(parseMainCf(text), file);
}
