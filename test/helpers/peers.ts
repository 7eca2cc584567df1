import { spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/**
 * A tier whose peer is missing is skipped with the reason; with CI=true a missing peer is a
 * failure, because CI must run every tier.
 */
export function peerSkip(name: string, available: boolean, how: string): string | false {
  if (available) return false;
  const reason = `${name} is not available (${how})`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  return reason;
}

/** True when `command` can be run. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Stops a peer process: SIGTERM, then SIGKILL when it has not exited after `graceMs`. Resolves
 * at once for a process that already exited, so a crashed peer never hangs a test's teardown.
 */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** True when something accepts TCP connections on the loopback port (each attempt times out). */
function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Waits until a peer process accepts connections on `port`; false when it exited or `timeoutMs` passed. */
export async function waitForTcp(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tcpAccepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
