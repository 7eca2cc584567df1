import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, peerSkip, stopChild } from './peers.js';
import { freeUdpPort } from './ports.js';

export const dnsmasqSkip = peerSkip('dnsmasq', hasCommand('dnsmasq'), 'install the Debian package dnsmasq-base');

/**
 * The zones the tests serve. Everything under .test that is not listed is NXDOMAIN
 * (`--local`); `blackhole.test` is forwarded to a socket that never answers (a DNS timeout).
 */
const ZONE_ARGS = [
  '--local=/test/',
  '--mx-host=shop.test,mail.shop.test,10',
  '--host-record=mail.shop.test,192.0.2.10',
  '--mx-host=example.test,mx1.example.test,10',
  '--host-record=mx1.example.test,192.0.2.20',
  '--host-record=aonly.test,192.0.2.30',
  '--host-record=v6only.test,2001:db8::30',
  '--txt-record=nomail.test,v=spf1 -all',
  '--mx-host=nullmx.test,.,0',
];

/**
 * The big mail providers Listwarden's DNS canary asks (subscribers/domain-check.ts): a working
 * resolver knows them, so the test resolver does too unless a test wants a broken one.
 */
const CANARY_ARGS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'gmx.de'].flatMap((domain) => [
  `--mx-host=${domain},mx.${domain},10`,
  `--host-record=mx.${domain},192.0.2.99`,
]);

export interface DnsServer {
  /** `127.0.0.1:<port>`, the value for LISTWARDEN_DNS_SERVERS. */
  address: string;
  stop(): Promise<void>;
}

/** A TXT record argument; long values are split into the 255-byte strings DNS allows. */
export function txtRecord(name: string, value: string): string {
  const chunks = value.match(/.{1,255}/g) ?? [''];
  if (value.includes(',')) throw new Error('dnsmasq separates TXT strings with commas; the value cannot contain one');
  // No shell runs dnsmasq, so no quotes: each comma-separated part is one TXT string.
  return `--txt-record=${name},${chunks.join(',')}`;
}

/** Starts a real dnsmasq on a loopback port serving the test zones (plus `extraArgs`). */
export async function startDnsmasq(
  extraArgs: readonly string[] = [],
  options: { canaries?: boolean } = {},
): Promise<DnsServer> {
  const blackhole: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => blackhole.bind(0, '127.0.0.1', resolve));
  const blackholePort = blackhole.address().port;
  // An empty configuration file of our own: /dev/null is not always a device on a test machine.
  const confDir = mkdtempSync(join(tmpdir(), 'lw-dnsmasq-'));
  writeFileSync(join(confDir, 'dnsmasq.conf'), '');
  // A free port can be taken by a sibling test between our probe and dnsmasq's bind (UDP and TCP):
  // then try another one, and on giving up leave nothing open behind.
  let started: { child: ChildProcess; address: string } | undefined;
  let lastError = '';
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    const port = await freeUdpPort();
    const child: ChildProcess = spawn(
      'dnsmasq',
      [
        '--keep-in-foreground',
        `--conf-file=${join(confDir, 'dnsmasq.conf')}`,
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--no-negcache',
        '--cache-size=0',
        '--user=root',
        '--pid-file=',
        `--server=/blackhole.test/127.0.0.1#${blackholePort}`,
        ...ZONE_ARGS,
        ...(options.canaries === false ? [] : CANARY_ARGS),
        ...extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    const address = `127.0.0.1:${port}`;
    const resolver = new Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([address]);
    for (let i = 0; ; i++) {
      try {
        await resolver.resolveMx('shop.test');
        started = { child, address };
        break;
      } catch {
        if (child.exitCode !== null || i > 50) {
          await stopChild(child);
          lastError = stderr;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!started && !/Address already in use/.test(lastError)) break;
  }
  if (!started) {
    blackhole.close();
    rmSync(confDir, { recursive: true, force: true });
    throw new Error(`dnsmasq did not start: ${lastError}`);
  }
  const { child, address } = started;
  return {
    address,
    async stop() {
      await stopChild(child);
      blackhole.close();
      rmSync(confDir, { recursive: true, force: true });
    },
  };
}
