import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, peerSkip, stopChild } from './peers.js';
import { freeTcpPort } from './ports.js';

export const rspamdSkip = peerSkip('rspamd', hasCommand('rspamd'), 'install the Debian package rspamd');

export interface RspamdServer {
  /** The normal worker's HTTP API, for LISTWARDEN_RSPAMD_URL. */
  url: string;
  stop(): Promise<void>;
}

async function pong(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return (await response.text()).trim() === 'pong';
  } catch {
    return false;
  }
}

/**
 * A real rspamd with Debian's rules, its workers on free loopback ports and its state in a
 * temporary directory. DNS goes to a closed local port, so network rules fail fast and offline.
 */
export async function startRspamd(): Promise<RspamdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-rspamd-'));
  chmodSync(dir, 0o755);
  const [normal, controller, proxy] = await Promise.all([freeTcpPort(), freeTcpPort(), freeTcpPort()]);
  const local = join(dir, 'local.d');
  mkdirSync(local);
  for (const sub of ['db', 'run']) mkdirSync(join(dir, sub));
  writeFileSync(join(local, 'worker-normal.inc'), `bind_socket = "127.0.0.1:${normal}";\ncount = 1;\n`);
  writeFileSync(join(local, 'worker-controller.inc'), `bind_socket = "127.0.0.1:${controller}";\n`);
  writeFileSync(join(local, 'worker-proxy.inc'), `bind_socket = "127.0.0.1:${proxy}";\n`);
  writeFileSync(join(local, 'options.inc'), 'dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 0; }\n');
  // As root, rspamd must drop to its own user, which then needs to write its state here.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', '_rspamd'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', '_rspamd'], { encoding: 'utf8' }).trim());
    for (const sub of ['', 'db', 'run']) chownSync(join(dir, sub), uid, gid);
  }
  const args = [
    '-f',
    ...(asRoot ? ['-u', '_rspamd', '-g', '_rspamd'] : []),
    `--var=LOCAL_CONFDIR=${dir}`,
    `--var=DBDIR=${join(dir, 'db')}`,
    `--var=RUNDIR=${join(dir, 'run')}`,
    `--var=LOGDIR=${dir}`,
  ];
  const child: ChildProcess = spawn('rspamd', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const url = `http://127.0.0.1:${normal}`;
  const deadline = Date.now() + 60_000;
  while (!(await pong(url))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stopChild(child);
      let log = '';
      try {
        log = readFileSync(join(dir, 'rspamd.log'), 'utf8').slice(-2000);
      } catch {
        // no log yet
      }
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`rspamd did not start: ${output.slice(-2000)}${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async stop() {
      // The main process stops its workers on SIGTERM.
      await stopChild(child, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
