import { finding, pass, skipped, type CheckResult } from '../finding.js';
import { SmtpDialogue, type Reply } from '../smtp-dialogue.js';

/** Reserved names and addresses (RFC 2606, RFC 5737): a probe never names anyone real. */
export const PROBE = {
  helo: 'relay-probe.listwarden.invalid',
  from: 'relay-probe@example.org',
  to: 'relay-probe@example.net',
  outsideAddress: '192.0.2.25',
} as const;

export interface RelayTranscript {
  target: string;
  /** The MTA let us appear as an outside client with XCLIENT. */
  xclient: 'used' | 'not offered' | 'refused';
  steps: { command: string; reply: string }[];
  rcptCode: number | undefined;
}

const said = (r: Reply) => `${r.code} ${r.lines.at(-1) ?? ''}`.trim();

/**
 * The live probe: EHLO, XCLIENT ADDR=<TEST-NET address> where offered (a probe from 127.0.0.1
 * is trusted by mynetworks and proves nothing), EHLO again, MAIL FROM and RCPT TO with reserved
 * external domains, then RSET and QUIT. It never sends DATA.
 */
export async function probeRelay(host: string, port: number, timeoutMs = 5000): Promise<RelayTranscript> {
  const dialogue = await SmtpDialogue.open(host, port, timeoutMs);
  const transcript: RelayTranscript = {
    target: `${host}:${port}`,
    xclient: 'not offered',
    steps: [],
    rcptCode: undefined,
  };
  const step = async (command: string) => {
    const reply = await dialogue.command(command);
    transcript.steps.push({ command, reply: said(reply) });
    return reply;
  };
  try {
    const greeting = await dialogue.read();
    transcript.steps.push({ command: '(connect)', reply: said(greeting) });
    if (greeting.code !== 220) return transcript;
    let ehlo = await step(`EHLO ${PROBE.helo}`);
    if (ehlo.lines.some((l) => /^XCLIENT\b/i.test(l))) {
      const x = await step(`XCLIENT ADDR=${PROBE.outsideAddress} NAME=[UNAVAILABLE]`);
      if (x.code === 220) {
        transcript.xclient = 'used';
        ehlo = await step(`EHLO ${PROBE.helo}`);
      } else transcript.xclient = 'refused';
    }
    if (ehlo.code !== 250) return transcript;
    const mail = await step(`MAIL FROM:<${PROBE.from}>`);
    if (mail.code === 250) transcript.rcptCode = (await step(`RCPT TO:<${PROBE.to}>`)).code;
    await step('RSET').catch(() => undefined);
    await step('QUIT').catch(() => undefined);
  } finally {
    dialogue.close();
  }
  return transcript;
}

/** Pure: what the transcript proves. */
export function relayFindings(t: RelayTranscript): CheckResult {
  const shown = t.steps.map((s) => `${s.command} → ${s.reply}`).join('; ');
  const accepted = t.rcptCode !== undefined && t.rcptCode >= 200 && t.rcptCode < 300;
  if (t.rcptCode === undefined)
    return skipped('relay.open', `the MTA at ${t.target} did not get as far as RCPT TO: ${shown}`);
  if (t.xclient === 'used') {
    return accepted
      ? finding({
          id: 'relay.open',
          severity: 'critical',
          title: 'The MTA is an open relay',
          evidence: `${t.target} accepted mail from an outside client (XCLIENT ADDR=${PROBE.outsideAddress}) for ${PROBE.to}: ${shown}`,
          expected:
            'RCPT TO for a foreign domain from an unauthenticated outside client is refused (554 5.7.1 Relay access denied)',
          fix: 'postconf -e "mynetworks = 127.0.0.0/8 [::1]/128" "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" && postfix reload',
        })
      : pass(
          'relay.open',
          `${t.target} refused relaying for an outside client (XCLIENT ADDR=${PROBE.outsideAddress}): RCPT TO → ${t.rcptCode}`,
        );
  }
  if (!accepted) return pass('relay.open', `${t.target} refused relaying even for this host: RCPT TO → ${t.rcptCode}`);
  return finding({
    id: 'relay.open',
    severity: 'warning',
    title: 'The open relay probe cannot tell: the MTA trusts this host',
    evidence: `${t.target} accepted ${PROBE.to} from 127.0.0.1 and ${t.xclient === 'refused' ? 'refused XCLIENT' : 'does not offer XCLIENT'}, so the probe could not appear as an outside client: ${shown}`,
    expected: 'XCLIENT allowed for the prober, so it can test relaying as an outside client',
    fix: 'postconf -e "smtpd_authorized_xclient_hosts = 127.0.0.1" && postfix reload   # then run the audit again (or probe from another host)',
  });
}

export async function checkOpenRelay(mta: { host: string; port: number }, timeoutMs = 5000): Promise<CheckResult[]> {
  try {
    return [relayFindings(await probeRelay(mta.host, mta.port, timeoutMs))];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [
      skipped(
        'relay.open',
        code === 'ECONNREFUSED'
          ? `no MTA listens on ${mta.host}:${mta.port}`
          : `the probe of ${mta.host}:${mta.port} failed: ${(error as Error).message}`,
      ),
    ];
  }
}
