import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { createBulkSmtpTransport } from '../../src/mail/bulk-smtp-transport.js';
import { dotStuffed } from '../../src/mail/smtp-client.js';
import { DeliveryError } from '../../src/mail/transport.js';

interface Got {
  from: string;
  to: string[];
  data: string;
}

async function server(options: Record<string, unknown>, rcpt?: (address: string) => number | undefined) {
  const got: Got[] = [];
  const srv = new SMTPServer({
    logger: false,
    authOptional: true,
    ...options,
    onRcptTo(address: { address: string }, _session: unknown, cb: (error?: Error) => void) {
      const code = rcpt?.(address.address);
      if (code) {
        const error = new Error(code >= 500 ? '5.1.1 no such user' : '4.2.0 later') as Error & { responseCode: number };
        error.responseCode = code;
        return cb(error);
      }
      cb();
    },
    onData(
      stream: NodeJS.ReadableStream,
      session: { envelope: { mailFrom: { address: string }; rcptTo: Array<{ address: string }> } },
      cb: (error?: Error | null, message?: string) => void,
    ) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        got.push({
          from: session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('latin1'),
        });
        cb(null, `queued as Q${got.length}`);
      });
    },
  } as never);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.server.address() as { port: number }).port;
  return { got, port, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

const message = (body: string) =>
  Buffer.from(`From: a@shop.test\r\nTo: b@example.test\r\nSubject: t\r\n\r\n${body}`, 'latin1');

describe('bulk SMTP client against a real SMTP server', () => {
  const closers: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('pipelines MAIL, RCPT and DATA, dot-stuffs, and reuses connections', async () => {
    const s = await server({ disabledCommands: ['STARTTLS', 'AUTH'] });
    closers.push(s.close);
    const t = createBulkSmtpTransport(`smtp://127.0.0.1:${s.port}`, { connections: 2 });
    closers.push(() => t.close());
    const body = '.starts with a dot\r\nmiddle\r\n.. two dots\r\nend';
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.send({
          envelopeFrom: 'bounce@shop.test',
          envelopeTo: `r${i}@example.test`,
          messageId: `<${i}@x>`,
          raw: message(body),
        }),
      ),
    );
    assert.ok(results.every((r) => /^250 .*queued as Q\d+/.test(r.response)));
    assert.equal(s.got.length, 20);
    assert.equal(s.got[0]!.from, 'bounce@shop.test');
    assert.ok(
      s.got.every((g) => g.data.endsWith(`\r\n\r\n${body}\r\n`) || g.data.endsWith(`\r\n\r\n${body}`)),
      s.got[0]!.data,
    );
    assert.deepEqual(new Set(s.got.map((g) => g.to[0])).size, 20);
  });

  it('reports 5xx as permanent and 4xx as temporary, and the connection stays usable', async () => {
    const s = await server({ disabledCommands: ['STARTTLS', 'AUTH'] }, (a) =>
      a.startsWith('gone') ? 550 : a.startsWith('later') ? 451 : undefined,
    );
    closers.push(s.close);
    const t = createBulkSmtpTransport(`smtp://127.0.0.1:${s.port}`, { connections: 1 });
    closers.push(() => t.close());
    const send = (to: string) =>
      t.send({ envelopeFrom: 'b@shop.test', envelopeTo: to, messageId: '<x@y>', raw: message('hi') });
    await assert.rejects(
      send('gone@example.test'),
      (e: unknown) => e instanceof DeliveryError && e.permanent && e.responseCode === 550,
    );
    await assert.rejects(
      send('later@example.test'),
      (e: unknown) => e instanceof DeliveryError && !e.permanent && e.responseCode === 451,
    );
    assert.match((await send('ok@example.test')).response, /^250/);
    assert.equal(s.got.length, 1);
  });

  it('works without PIPELINING, with STARTTLS and AUTH PLAIN', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const dir = mkdtempSync(join(tmpdir(), 'lw-tls-'));
    writeFileSync(join(dir, 'key.pem'), key);
    // A self-signed certificate made by the real openssl for the STARTTLS upgrade.
    const cert = execFileSync('openssl', [
      'req',
      '-x509',
      '-key',
      join(dir, 'key.pem'),
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-batch',
    ]).toString();
    rmSync(dir, { recursive: true, force: true });
    let authed = '';
    const s = await server({
      hidePIPELINING: true,
      key,
      cert,
      authMethods: ['PLAIN'],
      onAuth(
        auth: { username: string; password: string },
        _s: unknown,
        cb: (e: Error | null, r?: { user: string }) => void,
      ) {
        authed = `${auth.username}:${auth.password}`;
        cb(null, { user: auth.username });
      },
    });
    closers.push(s.close);
    const t = createBulkSmtpTransport(`smtp://mailer:s%40cret@127.0.0.1:${s.port}?tls=insecure`, { connections: 1 });
    closers.push(() => t.close());
    const r = await t.send({
      envelopeFrom: 'b@shop.test',
      envelopeTo: 'c@example.test',
      messageId: '<x@y>',
      raw: message('tls'),
    });
    assert.match(r.response, /^250/);
    assert.equal(authed, 'mailer:s@cret');
    assert.equal(s.got.length, 1);
  });

  it('turns a refused connection into a temporary delivery error', async () => {
    const s = await server({});
    await s.close();
    const t = createBulkSmtpTransport(`smtp://127.0.0.1:${s.port}`);
    await assert.rejects(
      t.send({ envelopeFrom: 'b@shop.test', envelopeTo: 'c@example.test', messageId: '<x@y>', raw: message('x') }),
      (e: unknown) => e instanceof DeliveryError && !e.permanent,
    );
  });

  it('dot-stuffs lines that start with a dot', () => {
    assert.equal(dotStuffed(Buffer.from('.a\r\nb\r\n.c')).toString(), '..a\r\nb\r\n..c\r\n.\r\n');
    assert.equal(dotStuffed(Buffer.from('plain\r\n')).toString(), 'plain\r\n.\r\n');
  });
});
