import { BLOCK_OUTBOUND_25, finding, pass, type CheckResult } from './finding.js';

/** Process names of mail transfer agents: their port-25 connections are the MTA doing its job. */
export const MTA_PROCESSES =
  /^(master|smtp|smtpd|lmtp|postfix|exim|exim4|sendmail|opensmtpd|smtpd-|qmail-remote|qmail-smtpd|haraka)$/;

export interface SocketOwner {
  name: string;
  pid: number;
}

export interface Connection {
  local: string;
  peer: string;
  owners: SocketOwner[];
}

/** `ss -tnpH …`: one socket per line; the addresses are the first two host:port tokens. */
export function parseSs(output: string): Connection[] {
  const connections: Connection[] = [];
  for (const line of output.split('\n')) {
    const addresses = line
      .split(/\s+/)
      .filter((t) => /^(\[[^\]]+\]|[^\s:]+(?::[^\s:]+)*|\*):(\d+|\*)$/.test(t) && !t.startsWith('users:'));
    if (addresses.length < 2) continue;
    const owners = [...line.matchAll(/\("([^"]+)",pid=(\d+)/g)].map((m) => ({
      name: m[1] as string,
      pid: Number(m[2]),
    }));
    connections.push({ local: addresses[0] as string, peer: addresses[1] as string, owners });
  }
  return connections;
}

const portOf = (address: string) => address.slice(address.lastIndexOf(':') + 1);
const hostOf = (address: string) =>
  address
    .slice(0, address.lastIndexOf(':'))
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');

export interface ProcessInfo {
  pid: number;
  name: string;
  commandLine: string;
  user: string;
}

/**
 * Pure: connections to port 25 held by anything but the MTA. A connection to a local listener
 * that the MTA owns goes through the MTA and is fine; Listwarden's own processes are fine.
 */
export function foreignSmtpConnections(
  connections: readonly Connection[],
  listeners: readonly Connection[],
  processes: ReadonlyMap<number, ProcessInfo>,
  ownPids: ReadonlySet<number>,
): CheckResult {
  const mtaListeners = new Set(
    listeners
      .filter((l) => portOf(l.local) === '25' && l.owners.some((o) => MTA_PROCESSES.test(o.name)))
      .map((l) => hostOf(l.local)),
  );
  const throughMta = (peer: string) =>
    mtaListeners.has(hostOf(peer)) || mtaListeners.has('0.0.0.0') || mtaListeners.has('*') || mtaListeners.has('::');
  const isLocal = (host: string) => /^(127\.|::1$|::ffff:127\.)/.test(host);
  const suspects = connections.filter(
    (c) =>
      portOf(c.peer) === '25' &&
      c.owners.length > 0 &&
      !c.owners.some(
        (o) =>
          MTA_PROCESSES.test(o.name) ||
          ownPids.has(o.pid) ||
          /listwarden/i.test(processes.get(o.pid)?.commandLine ?? ''),
      ) &&
      !(isLocal(hostOf(c.peer)) && throughMta(c.peer)),
  );
  if (suspects.length === 0)
    return pass(
      'mail.smtp-connections',
      `${connections.filter((c) => portOf(c.peer) === '25').length} connections to port 25, all from the MTA or Listwarden`,
    );
  const named = suspects.slice(0, 10).map((c) => {
    const owner = c.owners[0] as SocketOwner;
    const info = processes.get(owner.pid);
    return `pid ${owner.pid} ${info?.commandLine ? `(${info.commandLine.slice(0, 240)})` : `(${owner.name})`}${info?.user ? ` as ${info.user}` : ''} → ${c.peer}`;
  });
  return finding({
    id: 'mail.smtp-connections',
    severity: 'critical',
    title: 'A process other than the MTA is talking SMTP to port 25',
    evidence: `${suspects.length} connection${suspects.length === 1 ? '' : 's'} around the MTA: ${named.join('; ')}`,
    expected: 'only the MTA (and Listwarden through it) connects to remote port 25',
    fix: `stop it: kill ${[...new Set(suspects.map((c) => c.owners[0]?.pid))].join(' ')}; find how it got there (crontab -l -u <user>, the web root, /tmp); block outbound 25 for everyone but the MTA: ${BLOCK_OUTBOUND_25}`,
  });
}

/** One message the MTA handled, as the mail log or the queue shows it. */
export interface MtaMessage {
  queueId: string;
  messageId?: string;
  from?: string;
  /** Local submissions (postfix/pickup) name the submitting user's uid. */
  uid?: number;
  phpScript?: string;
}

/** Postfix's mail log: message-id, from, uid and any logged X-PHP-Originating-Script per queue id. */
export function parseMailLog(text: string): MtaMessage[] {
  const messages = new Map<string, MtaMessage>();
  const get = (id: string) => messages.get(id) ?? (messages.set(id, { queueId: id }).get(id) as MtaMessage);
  for (const line of text.split('\n')) {
    const m = /postfix(?:\/[\w-]+)*\/(\w+)\[\d+\]: ([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): (.*)$/.exec(
      line,
    );
    if (!m) continue;
    const queueId = m[2] as string;
    const rest = m[3] as string;
    const messageId = /^message-id=(<[^>]*>|\S+)/.exec(rest)?.[1];
    if (messageId) get(queueId).messageId = messageId.startsWith('<') ? messageId : `<${messageId}>`;
    const uid = /^uid=(\d+) from=<([^>]*)>/.exec(rest);
    if (uid) {
      get(queueId).uid = Number(uid[1]);
      get(queueId).from = uid[2] as string;
    }
    const from = /^from=<([^>]*)>/.exec(rest);
    if (from) get(queueId).from = from[1] as string;
    const php = /X-PHP-Originating-Script:\s*([^;]+?)(?:\s+from\s|;|$)/i.exec(rest);
    if (php) get(queueId).phpScript = (php[1] as string).trim();
  }
  return [...messages.values()];
}

/** `postqueue -j`: one JSON object per queued message. */
export interface QueuedMessage {
  queue_name: string;
  queue_id: string;
  sender: string;
  recipients: { address: string; delay_reason?: string }[];
}

export function parsePostqueueJson(output: string): QueuedMessage[] {
  const out: QueuedMessage[] = [];
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as QueuedMessage;
      if (typeof m.queue_id === 'string')
        out.push({
          queue_name: String(m.queue_name),
          queue_id: m.queue_id,
          sender: String(m.sender ?? ''),
          recipients: Array.isArray(m.recipients) ? m.recipients : [],
        });
    } catch {
      // a line that is not JSON is not a queued message
    }
  }
  return out;
}

const WEB_UIDS = new Set([33, 48, 80, 81]); // www-data (Debian), apache (RHEL), www (BSD), nginx

export interface ActivityRules {
  /** More foreign messages than this is a spam run, not cron mail. */
  foreignLimit: number;
}

/**
 * Pure: messages the MTA handled that Listwarden did not send (their Message-ID is not in our
 * outbox), messages a PHP script submitted, and the queue (size, deferred share, top senders).
 */
export function mailActivityFindings(
  messages: readonly MtaMessage[],
  ours: ReadonlySet<string>,
  queue: readonly QueuedMessage[] | undefined,
  rules: ActivityRules,
  source: string,
): CheckResult[] {
  const results: CheckResult[] = [];
  const php = messages.filter((m) => m.phpScript);
  results.push(
    php.length > 0
      ? finding({
          id: 'mail.php-script',
          severity: 'critical',
          title: 'A PHP script is sending mail through this server',
          evidence: `${source}: ${php.length} message${php.length === 1 ? '' : 's'} with X-PHP-Originating-Script: ${[...new Set(php.map((m) => m.phpScript))].slice(0, 5).join(', ')}`,
          expected: 'no mail submitted by web scripts, or only by scripts you know',
          fix: 'postsuper -h ALL   # hold the queue; then find the script named above (uid:file), remove it, and patch the web application it came in through',
        })
      : pass('mail.php-script', `${source}: no X-PHP-Originating-Script`),
  );
  const foreign = messages.filter(
    (m) =>
      m.messageId && !ours.has(m.messageId) && m.from !== '' && !/^(MAILER-DAEMON|double-bounce)/i.test(m.from ?? ''),
  );
  const fromWeb = foreign.filter((m) => m.uid !== undefined && WEB_UIDS.has(m.uid));
  const senders = new Map<string, number>();
  for (const m of foreign) senders.set(m.from ?? `uid ${m.uid}`, (senders.get(m.from ?? `uid ${m.uid}`) ?? 0) + 1);
  const top = [...senders]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([s, n]) => `${s || '<>'} (${n})`);
  if (foreign.length === 0)
    results.push(
      pass('mail.foreign-messages', `${source}: ${messages.length} messages, all sent by Listwarden or the MTA`),
    );
  else
    results.push(
      finding({
        id: 'mail.foreign-messages',
        severity: foreign.length > rules.foreignLimit || fromWeb.length > 0 ? 'critical' : 'suggestion',
        title:
          foreign.length > rules.foreignLimit || fromWeb.length > 0
            ? 'Mail that Listwarden did not send is leaving this server'
            : 'A few messages did not come from Listwarden',
        evidence: `${source}: ${foreign.length} of ${messages.length} messages have a Message-ID that is not in Listwarden’s outbox${fromWeb.length > 0 ? `, ${fromWeb.length} submitted by the web server’s user (uid ${[...new Set(fromWeb.map((m) => m.uid))].join(', ')})` : ''}; top senders: ${top.join(', ')}`,
        expected:
          foreign.length > rules.foreignLimit
            ? `at most ${rules.foreignLimit} messages from other senders (cron, system mail)`
            : 'only Listwarden and known system senders',
        fix: 'postsuper -h ALL   # hold the queue; then find the sender above (account, script, cron job), stop it, and block outbound 25 for everyone but the MTA',
      }),
    );
  if (queue) {
    const deferred = queue.filter((m) => m.queue_name === 'deferred').length;
    const queueSenders = new Map<string, number>();
    for (const m of queue) queueSenders.set(m.sender, (queueSenders.get(m.sender) ?? 0) + 1);
    const topQueue = [...queueSenders]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([s, n]) => `${s || '<>'} (${n})`);
    const share = queue.length > 0 ? deferred / queue.length : 0;
    results.push(
      queue.length > 1000 || (queue.length >= 50 && share > 0.5)
        ? finding({
            id: 'mail.queue',
            severity: 'warning',
            title: 'The MTA queue is large or mostly deferred',
            evidence: `postqueue -j: ${queue.length} messages, ${deferred} deferred (${Math.round(share * 100)}%); top senders: ${topQueue.join(', ')}`,
            expected: 'a short queue: deferred mail piles up when receivers refuse a spam run',
            fix: 'postqueue -p | less   # look at the top senders; hold a suspicious run with postsuper -h ALL',
          })
        : pass('mail.queue', `postqueue -j: ${queue.length} messages, ${deferred} deferred`),
    );
  }
  return results;
}
