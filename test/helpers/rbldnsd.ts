import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, peerSkip, stopChild } from './peers.js';
import { freeUdpPort } from './ports.js';

export const rbldnsdSkip = peerSkip('rbldnsd', hasCommand('rbldnsd'), 'install the Debian package rbldnsd');

export interface ZoneData {
  zone: string;
  /** rbldnsd dataset type: ip4set, ip4trie, ip6trie, dnset, generic. */
  type: string;
  lines: string[];
}

export interface RbldnsdServer {
  /** `127.0.0.1:<port>`: the resolver to give the DNSBL client. */
  address: string;
  /** Rewrites a zone's data and makes rbldnsd reload it (SIGHUP). */
  update(zone: string, lines: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A real rbldnsd on a loopback UDP port serving `zones` (files in a temp dir, reloaded on SIGHUP). */
export async function startRbldnsd(zones: readonly ZoneData[]): Promise<RbldnsdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-rbldnsd-'));
  chmodSync(dir, 0o755); // rbldnsd drops to its own user
  const file = (zone: string) => join(dir, `${zone}.data`);
  const write = (zone: string, lines: readonly string[]) => {
    writeFileSync(file(zone), `${lines.join('\n')}\n`);
    chmodSync(file(zone), 0o644);
  };
  for (const z of zones) write(z.zone, z.lines);
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(
    'rbldnsd',
    [
      '-n',
      '-q',
      '-c',
      '0',
      '-t',
      '60',
      '-b',
      `127.0.0.1/${port}`,
      ...zones.map((z) => `${z.zone}:${z.type}:${file(z.zone)}`),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const address = `127.0.0.1:${port}`;
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([address]);
  const probeZone = zones[0]?.zone ?? 'none.invalid';
  const ready = async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await resolver.resolve4(`2.0.0.127.${probeZone}`);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') return; // it answers
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`rbldnsd did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await ready();
  return {
    address,
    async update(zone, lines) {
      write(zone, lines);
      child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 300));
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** RFC 5782 test entries every zone must carry: 127.0.0.2 listed (and ::FFFF:7F00:2 for IPv6). */
export const TEST_ENTRIES = ['127.0.0.2 :2:Test entry per RFC 5782'];
