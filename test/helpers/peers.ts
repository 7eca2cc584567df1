import { spawnSync } from 'node:child_process';

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
