import type { CheckResult } from '../finding.js';
import type { Host } from '../host.js';
import { parsePasswd } from './accounts.js';
import {
  foreignSmtpConnections,
  mailActivityFindings,
  parseMailLog,
  parsePostqueueJson,
  parseSs,
  type MtaMessage,
  type ProcessInfo,
} from '../mail-activity-rules.js';

export interface MailActivityOptions {
  /** Which of these Message-IDs Listwarden sent (its outbox); undefined: no database to ask. */
  ours: ((messageIds: readonly string[]) => Promise<Set<string>>) | undefined;
  foreignLimit: number;
  /** Processes of Listwarden itself (the serve process running a periodic check). */
  ownPids: ReadonlySet<number>;
  /** Postfix's config directory when it is not the default (a second instance, postmulti): `-c <dir>`. */
  postfixConfig?: string | undefined;
}

const LOG_BYTES = 4 * 1024 * 1024;
const HEADER_SAMPLE = 50;

function processInfo(host: Host, pid: number, users: Map<number, string>): ProcessInfo | undefined {
  const cmdline = host.read(`/proc/${pid}/cmdline`);
  const status = host.read(`/proc/${pid}/status`);
  if (cmdline === undefined && status === undefined) return undefined;
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status ?? '')?.[1] ?? NaN);
  return {
    pid,
    name: /^Name:\s+(.*)$/m.exec(status ?? '')?.[1] ?? '',
    commandLine: (cmdline ?? '').split('\0').filter(Boolean).join(' '),
    user: users.get(uid) ?? (Number.isNaN(uid) ? '' : `uid ${uid}`),
  };
}

/**
 * The MTA's log: Postfix's own `maillog_file` when the live Postfix has one (containers, a second
 * instance), else syslog's mail log.
 */
async function mailLogPath(host: Host, postfixArgs: readonly string[]): Promise<string | undefined> {
  const configured = (await host.run('postconf', [...postfixArgs, '-h', 'maillog_file']))?.stdout.trim();
  if (configured && configured.startsWith('/') && host.exists(configured)) return configured;
  return ['/var/log/mail.log', '/var/log/maillog'].find((p) => host.exists(p));
}

/** Spambot signs: port-25 connections around the MTA, mail we did not send, PHP mailers, the queue. */
export async function checkMailActivity(host: Host, options: MailActivityOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const users = new Map(parsePasswd(host.read('/etc/passwd') ?? '').map((u) => [u.uid, u.name] as const));

  const connected = await host.run('ss', ['-tnpH', 'dport', '=', ':25']);
  const listening = await host.run('ss', ['-ltnpH', 'sport', '=', ':25']);
  if (connected && connected.code === 0) {
    const connections = parseSs(connected.stdout);
    const processes = new Map<number, ProcessInfo>();
    for (const pid of new Set(connections.flatMap((c) => c.owners.map((o) => o.pid)))) {
      const info = processInfo(host, pid, users);
      if (info) processes.set(pid, info);
    }
    results.push(foreignSmtpConnections(connections, parseSs(listening?.stdout ?? ''), processes, options.ownPids));
  } else {
    results.push({
      id: 'mail.smtp-connections',
      status: 'skipped',
      reason: host.live ? 'ss (iproute2) is not available' : 'sockets are only seen on the live host',
    });
  }

  const postfixArgs = options.postfixConfig ? ['-c', options.postfixConfig] : [];
  const logPath = await mailLogPath(host, postfixArgs);
  const logged = logPath ? parseMailLog(host.tail(logPath, LOG_BYTES) ?? '') : [];
  const byQueueId = new Map(logged.map((m) => [m.queueId, m] as const));
  const queueOut = await host.run('postqueue', [...postfixArgs, '-j']);
  const queue = queueOut && queueOut.code === 0 ? parsePostqueueJson(queueOut.stdout) : undefined;
  for (const item of (queue ?? []).slice(0, HEADER_SAMPLE)) {
    const headers = await host.run('postcat', [...postfixArgs, '-hq', item.queue_id]);
    if (!headers || headers.code !== 0) continue;
    const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(headers.stdout)?.[1];
    const php = /^X-PHP-Originating-Script:\s*(.+)$/im.exec(headers.stdout)?.[1]?.trim();
    // A queued message the log already showed is one message, seen twice.
    const known = byQueueId.get(item.queue_id);
    const message: MtaMessage = known ?? { queueId: item.queue_id };
    message.from ??= item.sender;
    if (messageId) message.messageId ??= messageId;
    if (php) message.phpScript ??= php;
    if (!known) byQueueId.set(item.queue_id, message);
  }
  const messages = [...byQueueId.values()];
  const sources = [logPath, queue ? 'postqueue' : undefined].filter(Boolean).join(' and ');
  if (!logPath && !queue) {
    results.push({
      id: 'mail.foreign-messages',
      status: 'skipped',
      reason: 'no mail log (/var/log/mail.log) and no Postfix queue to read',
    });
    return results;
  }
  const ids = [...new Set(messages.map((m) => m.messageId).filter((id): id is string => id !== undefined))];
  if (!options.ours) {
    results.push({
      id: 'mail.foreign-messages',
      status: 'skipped',
      reason: 'no Listwarden database configured to compare Message-IDs with',
    });
    return [
      ...results,
      ...mailActivityFindings(messages, new Set(ids), queue, { foreignLimit: options.foreignLimit }, sources).filter(
        (r) => r.id !== 'mail.foreign-messages',
      ),
    ];
  }
  const ours = await options.ours(ids);
  return [...results, ...mailActivityFindings(messages, ours, queue, { foreignLimit: options.foreignLimit }, sources)];
}
