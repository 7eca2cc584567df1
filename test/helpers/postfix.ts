import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, peerSkip, stopChild, waitForTcp } from './peers.js';
import { freeTcpPort } from './ports.js';

export const postfixSkip = peerSkip(
  'Postfix',
  hasCommand('postfix') && hasCommand('postconf'),
  'install the Debian package postfix',
);

export interface PostfixServer {
  port: number;
  /** Its config directory, for `postqueue -c`, `sendmail -C` and `--postfix-config`. */
  configDir: string;
  /** Postfix's own log of this instance. */
  log(): string;
  stop(): Promise<void>;
}

const MASTER_CF = (port: number) =>
  [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'showq unix n - n - - showq',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'local unix - n n - - local',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');

/**
 * A real Postfix (master, smtpd, …) on a loopback port, with its own config, queue and log in a
 * temporary directory, run in the foreground (postfix start-fg). `mainCf` is added to a base
 * that keeps it off the network: no DNS lookups, loopback only.
 */
export async function startPostfix(mainCf: readonly string[]): Promise<PostfixServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-postfix-'));
  chmodSync(dir, 0o755); // Postfix's daemons run as the postfix user
  const port = await freeTcpPort();
  for (const sub of ['conf', 'queue', 'data']) mkdirSync(join(dir, sub));
  chownSync(join(dir, 'data'), Number(spawnId('-u', 'postfix')), Number(spawnId('-g', 'postfix')));
  const logFile = join(dir, 'maillog');
  writeFileSync(
    join(dir, 'conf', 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${join(dir, 'queue')}`,
      `data_directory = ${join(dir, 'data')}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'myhostname = mta.listwarden.test',
      'mydestination = $myhostname, localhost',
      'smtpd_banner = $myhostname ESMTP',
      'smtp_dns_support_level = disabled',
      'smtpd_peername_lookup = no',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${logFile}`,
      ...mainCf,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'conf', 'master.cf'), MASTER_CF(port));
  const child: ChildProcess = spawn('postfix', ['-c', join(dir, 'conf'), 'start-fg'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  if (!(await waitForTcp(port, child, 20_000))) {
    await stopMaster(dir, child);
    const failure = `postfix did not start: ${output}${log()}`;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(failure);
  }
  return {
    port,
    configDir: join(dir, 'conf'),
    log,
    async stop() {
      await stopMaster(dir, child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function spawnId(flag: string, user: string): string {
  return execFileSync('id', [flag, user], { encoding: 'utf8' }).trim();
}

/** `postfix stop`, then the foreground wrapper's exit; the master is killed if it outlives both. */
async function stopMaster(dir: string, child: ChildProcess): Promise<void> {
  const pidFile = join(dir, 'queue', 'pid', 'master.pid');
  let masterPid: number | undefined;
  try {
    masterPid = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
  } catch {
    masterPid = undefined;
  }
  try {
    execFileSync('postfix', ['-c', join(dir, 'conf'), 'stop'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // not running, or stopping failed: the kills below make sure
  }
  await stopChild(child, 10_000);
  if (masterPid !== undefined) {
    try {
      process.kill(masterPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
