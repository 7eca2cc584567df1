import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, peerSkip, stopChild } from './peers.js';
import { freeTcpPort } from './ports.js';

export const spamdSkip = peerSkip('spamd', hasCommand('spamd'), 'install the Debian packages spamassassin and spamd');

export interface SpamdServer {
  address: string;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('connect', () => socket.write('PING SPAMC/1.5\r\n\r\n'));
    socket.on('data', (d) => (answer += String(d)));
    socket.on('end', () => resolve(/PONG/.test(answer)));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** A real SpamAssassin spamd on a loopback port, local tests only (-L: no network rules). */
export async function startSpamd(): Promise<SpamdServer> {
  const port = await freeTcpPort();
  // spamd replaces its pidfile (unlink + create): never point it at a device like /dev/null.
  const dir = mkdtempSync(join(tmpdir(), 'lw-spamd-'));
  const child: ChildProcess = spawn(
    'spamd',
    [
      '--listen',
      `127.0.0.1:${port}`,
      '--allowed-ips=127.0.0.1',
      '-L',
      '--nouser-config',
      '--syslog=stderr',
      '--max-children=2',
      '-u',
      'nobody',
      `--pidfile=${join(dir, 'spamd.pid')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const deadline = Date.now() + 60_000;
  while (!(await ping(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`spamd did not start: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
