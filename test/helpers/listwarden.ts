import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { freeTcpPort } from './ports.js';

const ROOT = new URL('../..', import.meta.url).pathname;
/**
 * The node arguments that run the CLI: the compiled build (dist/), as installed. Starting it takes
 * half a second less than compiling the sources through tsx at every start, which the suite does
 * hundreds of times. scripts/run-tests.mjs builds first; a build older than the sources is refused
 * here, so a test never runs yesterday's code.
 */
export const CLI_ARGS: readonly string[] = [checkedBuild()];
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

/** A working directory with its own data folder, capture outbox and environment. */
export interface Instance {
  dir: string;
  captureDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** A loopback DNS "server" that refuses every query (nothing listens on the discard port). */
export const NO_DNS = '127.0.0.1:9';

export function newInstance(databaseUrl: string, extraEnv: Record<string, string> = {}): Instance {
  const dir = mkdtempSync(join(tmpdir(), 'lw-e2e-'));
  const captureDir = join(dir, 'outbox');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LISTWARDEN_DATABASE_URL: databaseUrl,
    LISTWARDEN_DATA_DIR: join(dir, 'data'),
    LISTWARDEN_SMTP_URL: `capture:${captureDir}`,
    LISTWARDEN_SECRET: TEST_SECRET,
    LISTWARDEN_TEMPLATES_DIR: join(dir, 'templates'),
    LISTWARDEN_LOG_LEVEL: 'info',
    // Each server's inbound SMTP listener takes a free port; see RunningServer.inboundPort.
    LISTWARDEN_INBOUND_PORT: '0',
    // Tests talk to loopback only: DNS goes to a closed local port (refused at once) unless a
    // test starts its own dnsmasq or rbldnsd and says so.
    LISTWARDEN_DNS_SERVERS: NO_DNS,
    // The periodic spambot check looks at this whole machine (sockets, mail log); only the test
    // of that check turns it on, so other servers never mail the owner about a sibling test's bot.
    LISTWARDEN_AUDIT_INTERVAL_MINUTES: '0',
    ...extraEnv,
  };
  return { dir, captureDir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (the build) in the instance's environment. */
export function cli(instance: Instance, args: readonly string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: instance.dir, env: instance.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/**
 * The CLI beside a running server: its public URL is the server's address, so commands that reach
 * the server (a campaign's opt-out self-test) find it. Before the server runs, the instance as it is.
 */
export function cliBeside(instance: Instance, server: RunningServer | undefined, args: readonly string[]) {
  return cli(server ? { ...instance, env: { ...instance.env, LISTWARDEN_PUBLIC_URL: server.url } } : instance, args);
}

/** The same, failing the test with the command and its stderr unless it succeeds; its stdout. */
export async function cliOk(instance: Instance, args: readonly string[], server?: RunningServer): Promise<string> {
  const r = await cliBeside(instance, server, args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export interface RunningServer {
  url: string;
  /** The inbound SMTP listener (bounces, complaints, mailto opt-out); 0 for a worker-only process. */
  inboundPort: number;
  process: ChildProcess;
  logs(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `listwarden serve` on a free port (or `serve --worker-only`) and waits until it runs. */
export async function startServer(
  instance: Instance,
  extraEnv: Record<string, string> = {},
  options: { workerOnly?: boolean; publicUrl?: string } = {},
): Promise<RunningServer> {
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  const args = [...CLI_ARGS, 'serve', ...(options.workerOnly ? ['--worker-only'] : [])];
  const child = spawn(process.execPath, args, {
    cwd: instance.dir,
    env: {
      ...instance.env,
      LISTWARDEN_PORT: String(port),
      LISTWARDEN_PUBLIC_URL: options.publicUrl ?? url,
      ...extraEnv,
    },
  });
  const ready = options.workerOnly ? 'listwarden worker is running' : 'listwarden is listening';
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const check = () => {
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  const inbound = /"inboundSmtp":"[^"]*:(\d+)"/.exec(output);
  return {
    url,
    inboundPort: inbound ? Number(inbound[1]) : 0,
    process: child,
    logs: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

export interface CapturedMail {
  file: string;
  returnPath: string;
  raw: string;
  parsed: ParsedMail;
  to: string;
}

/** Every captured message, oldest first. */
export async function capturedMails(dir: string): Promise<CapturedMail[]> {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
  } catch {
    return [];
  }
  return Promise.all(
    files.map(async (file) => {
      const raw = readFileSync(join(dir, file), 'utf8');
      const parsed = await simpleParser(raw);
      const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
      return { file, raw, parsed, to: to ?? '', returnPath: /^Return-Path: <([^>]*)>/.exec(raw)?.[1] ?? '' };
    }),
  );
}

/** Waits until `count` mails to `address` are captured, and returns them. */
export async function waitForMails(
  dir: string,
  address: string,
  count = 1,
  timeoutMs = 10_000,
): Promise<CapturedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = (await capturedMails(dir)).filter((m) => m.to.toLowerCase() === address.toLowerCase());
    if (mails.length >= count) return mails;
    if (Date.now() > deadline) throw new Error(`expected ${count} mail(s) to ${address}, found ${mails.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of a header as written (unfolded), from the raw lines. */
export function headerValue(mail: CapturedMail, name: string): string {
  const line = mail.parsed.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';
  return line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ');
}

/** The confirmation link in a captured mail's text part. */
export function confirmLink(mail: CapturedMail): string {
  const match = /(https?:\/\/\S+\/c\/[A-Za-z0-9_-]{43})/.exec(mail.parsed.text ?? '');
  if (!match) throw new Error(`no confirmation link in:\n${mail.parsed.text}`);
  return match[1] as string;
}

function checkedBuild(): string {
  const entry = join(ROOT, 'dist/cli/index.js');
  const built = statSync(entry, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const stale = newestSource(join(ROOT, 'src'));
  if (stale.mtimeMs > built) {
    throw new Error(
      `${built === 0 ? 'dist/ is missing' : `dist/ is older than ${stale.path}`}: run the tests with \`node scripts/run-tests.mjs\` (it builds first) or \`npm run build\``,
    );
  }
  return entry;
}

function newestSource(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestSource(path)
      : entry.name.endsWith('.test.ts')
        ? newest
        : { path, mtimeMs: statSync(path).mtimeMs };
    if (found.mtimeMs > newest.mtimeMs) newest = found;
  }
  return newest;
}
