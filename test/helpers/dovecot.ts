import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, peerSkip, stopChild, waitForTcp } from './peers.js';
import { freeTcpPort } from './ports.js';

export const dovecotSkip = peerSkip('dovecot', hasCommand('dovecot'), 'install the Debian package dovecot-imapd');

export interface ImapServer {
  port: number;
  user: string;
  password: string;
  /** Drops one message into the user's INBOX (Maildir `new/`), as the MTA's delivery would. */
  deliver(raw: string): void;
  stop(): Promise<void>;
}

const NOBODY = { uid: 65534, gid: 65534 };

/** A real Dovecot IMAP server on a loopback port with one Maildir user (plain login, no TLS). */
export async function startDovecot(): Promise<ImapServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-dovecot-'));
  chmodSync(dir, 0o755); // Dovecot's auth and mail processes run as other users
  const port = await freeTcpPort();
  const user = 'bounces';
  const password = 'imap-test-password';
  const mail = join(dir, 'mail', user);
  for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(mail, sub), { recursive: true });
  for (const path of [join(dir, 'mail'), mail, join(mail, 'new'), join(mail, 'cur'), join(mail, 'tmp')])
    chownSync(path, NOBODY.uid, NOBODY.gid);
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}:${NOBODY.uid}:${NOBODY.gid}::${mail}::\n`);
  writeFileSync(
    join(dir, 'dovecot.conf'),
    [
      `base_dir = ${join(dir, 'run')}`,
      `state_dir = ${join(dir, 'state')}`,
      'protocols = imap',
      'listen = 127.0.0.1',
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      `log_path = ${join(dir, 'dovecot.log')}`,
      'first_valid_uid = 1',
      `mail_location = maildir:${mail}`,
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${join(dir, 'passwd')}\n}`,
      `userdb {\n  driver = passwd-file\n  args = ${join(dir, 'passwd')}\n}`,
      `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      'service anvil {\n  chroot =\n}',
      'service imap-login {\n  chroot =\n}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  if (!(await waitForTcp(port, child, 10_000))) {
    child.kill('SIGKILL');
    throw new Error(`dovecot did not start: ${output}`);
  }
  let n = 0;
  return {
    port,
    user,
    password,
    deliver(raw) {
      const file = join(mail, 'new', `${Date.now()}.${process.pid}_${n++}.listwarden-test`);
      writeFileSync(file, raw);
      chownSync(file, NOBODY.uid, NOBODY.gid);
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
