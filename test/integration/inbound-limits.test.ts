import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { startInboundSmtp, type InboundServer } from '../../src/feedback/inbound-smtp.js';
import { DIALECTS } from '../helpers/databases.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { servicesFor, type TestServices } from '../helpers/services.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite') as (typeof DIALECTS)[number];

/** A raw client socket from `localAddress`, resolved once the server's first line arrived. */
function open(port: number, localAddress: string): Promise<{ socket: Socket; greeting: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.setEncoding('utf8');
    socket.once('error', reject);
    socket.once('data', (greeting: string) => resolve({ socket, greeting }));
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

// The listener's limits, asserted against a real smtp-server socket (the database is only what the
// listener needs to start; the limits do not touch it).
describe('the inbound listener cannot be starved by one client', () => {
  let t: TestServices;
  let inbound: InboundServer;
  const sockets: Socket[] = [];

  before(async () => {
    t = await servicesFor(sqlite);
    await t.services.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
    inbound = await startInboundSmtp({
      host: '127.0.0.1',
      port: 0,
      maxBytes: 1_000_000,
      bounceDomain: 'shop.test',
      database: t.services.database,
      tokens: t.services.tokens,
      feedback: t.services.feedback,
      unsubscribe: t.services.unsubscribe,
      logger: t.services.logger,
      limits: { perClient: 10, perNetwork: 30, idleMs: 30_000, sessionMs: 1_500, dataMs: 800 },
    });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await inbound?.close();
    await t?.cleanup();
  });

  it('200 sockets from one address, then a bounce from another address is accepted within a second', async () => {
    const held = await Promise.all(Array.from({ length: 200 }, () => open(inbound.port, '127.0.0.1')));
    sockets.push(...held.map((h) => h.socket));
    const greeted = held.filter((h) => h.greeting.startsWith('220')).length;
    const refused = held.filter((h) => h.greeting.startsWith('421')).length;
    assert.equal(greeted, 10, 'the first ten are served');
    assert.equal(refused, 190, 'the rest are told to come back later');
    assert.doesNotMatch(
      held[0]?.greeting ?? '',
      /localhost|127\.0\.0\.1/,
      'no reverse DNS or client address in the greeting',
    );

    const started = Date.now();
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: inbound.port,
      secure: false,
      ignoreTLS: true,
      localAddress: '127.0.0.2',
    });
    try {
      const info = await transport.sendMail({
        envelope: { from: '', to: ['bounces@shop.test'] },
        raw: fixture('postfix-dsn.eml'),
      });
      assert.match(info.response, /^250/);
    } finally {
      transport.close();
    }
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it('caps one network: many addresses of one /24 cannot fill the listener, another network still gets in', async () => {
    // 127.0.1.1 … 127.0.1.10, ten connections each: one /24, capped at 30 in all.
    const held = await Promise.all(
      Array.from({ length: 100 }, (_, i) => open(inbound.port, `127.0.1.${(i % 10) + 1}`)),
    );
    sockets.push(...held.map((h) => h.socket));
    assert.equal(held.filter((h) => h.greeting.startsWith('220')).length, 30);
    assert.ok(held.some((h) => /from your network/.test(h.greeting)));
    const other = await open(inbound.port, '127.0.2.1');
    sockets.push(other.socket);
    assert.match(other.greeting, /^220/, 'a client of another network is served');
  });

  it('ends a session kept open with NOOPs when its time is up', async () => {
    const { socket } = await open(inbound.port, '127.0.0.3');
    const timer = setInterval(() => socket.write('NOOP\r\n'), 200);
    const started = Date.now();
    await closed(socket);
    clearInterval(timer);
    const lasted = Date.now() - started;
    assert.ok(lasted >= 1_000 && lasted < 3_000, `closed after ${lasted} ms`);
  });

  it('ends a DATA that trickles in one byte at a time', async () => {
    const { socket } = await open(inbound.port, '127.0.0.4');
    socket.write('EHLO client.example\r\nMAIL FROM:<>\r\nRCPT TO:<bounces@shop.test>\r\nDATA\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const timer = setInterval(() => socket.write('x'), 100);
    const started = Date.now();
    await closed(socket);
    clearInterval(timer);
    const lasted = Date.now() - started;
    assert.ok(lasted < 1_500, `closed after ${lasted} ms`);
  });
});
