import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { postJson, request } from '../helpers/http.js';
import { cli, newInstance, startServer, type Instance, type RunningServer } from '../helpers/listwarden.js';
import { startSmtpReceiver, type ReceivedMessage, type SmtpReceiver } from '../helpers/smtp-receiver.js';

const HTML = '<p>Hello {{ subscriber.name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>';
const COUNT = 24;

/** Delivers one raw message to the inbound listener over SMTP, as a receiving MTA would. */
async function deliver(port: number, to: string, raw: string, from = ''): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from, to: [to] }, raw });
  } finally {
    transport.close();
  }
}

/** What our copy to `rcpt` carried: the VERP return path (MAIL FROM) and the Message-ID. */
function ours(message: ReceivedMessage) {
  return {
    VERP: message.from,
    MSGID: /^Message-ID: <([^>]+)>/m.exec(message.raw)?.[1] ?? '',
    RCPT: message.to[0] as string,
  };
}

for (const dialect of DIALECTS) {
  describe(`bounces and complaints end to end on ${dialect.name}`, { skip: dialect.skip }, () => {
    let fresh: TestDatabase;
    let instance: Instance;
    let server: RunningServer;
    let receiver: SmtpReceiver;
    let key = '';
    /** Campaign ids whose every message the receiver answers with an ARF complaint. */
    const complainAbout = new Set<string>();

    const auth = () => ({ authorization: `Bearer ${key}` });
    async function sendCampaign(subject: string): Promise<number> {
      const created = await postJson(`${server.url}/api/v1/campaigns`, { list: 'news', subject, html: HTML }, auth());
      assert.equal(created.status, 201, created.text);
      const id = created.json<{ id: number }>().id;
      const sent = await request(`${server.url}/api/v1/campaigns/${id}/send`, { method: 'POST', headers: auth() });
      assert.equal(sent.status, 200, sent.text);
      return id;
    }
    async function waitStatus(id: number, wanted: string[], timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await request(`${server.url}/api/v1/campaigns/${id}`, { headers: auth() });
        const view = r.json<Record<string, any>>();
        if (wanted.includes(view.status)) return view;
        if (Date.now() > deadline) throw new Error(`campaign ${id} is ${view.status}: ${r.text}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    async function subscriber(email: string) {
      const shown = await cli(instance, ['subscribers', 'show', email, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      return JSON.parse(shown.stdout) as {
        subscriptions: Array<{ status: string }>;
        suppressed: { reason: string } | null;
        events: Array<{ type: string; source: string; detail: Record<string, unknown> }>;
      };
    }
    const copiesOf = (id: number) => receiver.received.filter((m) => m.raw.includes(`X-Campaign: ${id}\r\n`));

    before(async () => {
      receiver = await startSmtpReceiver(undefined, {
        onMessage(message) {
          const campaign = /^X-Campaign: (\d+)/m.exec(message.raw)?.[1];
          if (!campaign || !complainAbout.has(campaign)) return;
          // The mailbox provider's feedback loop: an ARF report back to our return path.
          const report = fixture('arf.eml', ours(message)).replace('fbl.8f3e2b1c', `fbl.${ours(message).MSGID}`);
          deliver(server.inboundPort, message.from, report, 'fbl-reports@isp.example').catch(() => {});
        },
      });
      fresh = await dialect.fresh();
      instance = newInstance(fresh.url, {
        LISTWARDEN_VERIFY_DOMAINS: 'false',
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_SMTP_URL: receiver.url,
        LISTWARDEN_ADMIN_EMAIL: 'owner@shop.test',
        LISTWARDEN_GUARD_MIN_DELIVERIES: '3',
        LISTWARDEN_DESTINATION_RATE: '4',
        LISTWARDEN_OUTBOX_CONCURRENCY: '2',
        LISTWARDEN_OUTBOX_BATCH: '4',
        LISTWARDEN_INBOUND_MAX_BYTES: '200000',
      });
      assert.equal(
        (await cli(instance, ['lists', 'create', 'news', '--name', 'News', '--from', 'news@shop.test'])).code,
        0,
      );
      // Campaign mail is signed: the From domain needs a DKIM key (issue 13).
      assert.equal((await cli(instance, ['dkim', 'generate', '--domain', 'shop.test'])).code, 0);
      const csv = join(instance.dir, 'people.csv');
      writeFileSync(
        csv,
        [
          'email,name,confirmed_at,confirm_ip',
          ...Array.from({ length: COUNT }, (_, i) => `r${i}@example.net,R${i},2025-01-01T00:00:00Z,192.0.2.1`),
        ].join('\n') + '\n',
      );
      assert.equal(
        (await cli(instance, ['import', csv, '--list', 'news', '--source', 'fixture', '--with-proof'])).code,
        0,
      );
      key = JSON.parse((await cli(instance, ['apikeys', 'create', '--name', 'tests', '--json'])).stdout).key as string;
      server = await startServer(instance);
      assert.ok(server.inboundPort > 0, 'serve starts the inbound SMTP listener');
    });
    after(async () => {
      await server?.stop();
      await receiver?.close();
      await fresh?.drop();
      instance?.cleanup();
    });

    it('takes DSNs, ARF reports and mailto opt-outs over SMTP, refuses relaying, and reads files', async () => {
      const first = await sendCampaign('Winter sale');
      await waitStatus(first, ['finished']);
      const sent = new Map(copiesOf(first).map((m) => [m.to[0] as string, m]));
      assert.equal(sent.size, COUNT);
      const r = (i: number) => sent.get(`r${i}@example.net`) as ReceivedMessage;

      // A Postfix DSN and an ARF complaint, delivered to the VERP address they came back to.
      await deliver(server.inboundPort, r(0).from, fixture('postfix-dsn.eml', ours(r(0))));
      await deliver(server.inboundPort, r(1).from, fixture('gmail-dsn.eml', ours(r(1))));
      await deliver(server.inboundPort, r(2).from, fixture('arf.eml', ours(r(2))), 'fbl-reports@isp.example');
      // The List-Unsubscribe mailto address, as Gmail's unsubscribe button uses it.
      const mailto = /<mailto:([^?>]+)\?subject=unsubscribe>/.exec(r(3).raw.replace(/\r\n\s+/g, ' '))?.[1] ?? '';
      assert.ok(mailto?.startsWith('unsubscribe+'), r(3).raw.slice(0, 2000));
      await deliver(
        server.inboundPort,
        mailto,
        'From: r3@example.net\r\nTo: ' + mailto + '\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n',
        'r3@example.net',
      );

      // Never a relay: any other recipient is refused with 550.
      await assert.rejects(
        deliver(server.inboundPort, 'victim@gmail.com', 'Subject: hi\r\n\r\nspam\r\n', 'spammer@example.org'),
        (error: Error & { responseCode?: number }) => {
          assert.equal(error.responseCode, 550);
          return true;
        },
      );
      await assert.rejects(
        deliver(server.inboundPort, 'postmaster@shop.test', 'Subject: hi\r\n\r\nhello\r\n', 'a@example.org'),
        { responseCode: 550 },
      );
      // Larger than LISTWARDEN_INBOUND_MAX_BYTES: refused, not held in memory.
      await assert.rejects(
        deliver(server.inboundPort, r(0).from, `Subject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(4000)}`),
      );

      // Files: an mbox with an Exim bounce and a Microsoft JMRP complaint, and a loose .eml.
      const mbox = join(instance.dir, 'bounces.mbox');
      const asMbox = (raw: string) =>
        `From MAILER-DAEMON Thu Nov 27 10:00:00 2025\n${raw.replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1')}\n`;
      writeFileSync(mbox, asMbox(fixture('exim.eml', ours(r(4)))) + asMbox(fixture('jmrp.eml', ours(r(5)))));
      const eml = join(instance.dir, 'qmail.eml');
      writeFileSync(eml, fixture('qmail.eml', ours(r(6))));
      const ingested = await cli(instance, ['feedback', 'ingest', mbox, eml, '--json']);
      assert.equal(ingested.code, 0, ingested.stderr);
      assert.deepEqual(JSON.parse(ingested.stdout), {
        messages: 3,
        applied: 3,
        duplicates: 0,
        quarantined: 0,
        kinds: { hard_bounce: 2, complaint: 1 },
      });
      const garbage = join(instance.dir, 'garbage.eml');
      writeFileSync(garbage, 'this is not mail');
      const quarantined = await cli(instance, ['feedback', 'ingest', garbage, '--json']);
      assert.equal(JSON.parse(quarantined.stdout).quarantined, 1);

      // The webhook route takes a raw message too.
      const api = await request(`${server.url}/api/v1/feedback`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'message/rfc822' },
        body: fixture('yahoo.eml', ours(r(7))),
      });
      assert.equal(api.status, 202, api.text);
      const unreadable = await request(`${server.url}/api/v1/feedback`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'message/rfc822' },
        body: 'nonsense',
      });
      assert.equal(unreadable.status, 422);
      assert.match(unreadable.json<{ message: string }>().message, /quarantine/);

      const expected: Array<[number, string, string | null, string | null]> = [
        [0, 'bounced', 'hard_bounce', 'bounce'],
        [1, 'bounced', 'hard_bounce', 'bounce'],
        [2, 'unsubscribed', 'complaint', 'complaint'],
        [3, 'unsubscribed', null, 'unsubscribed'],
        [4, 'bounced', 'hard_bounce', 'bounce'],
        [5, 'unsubscribed', 'complaint', 'complaint'],
        [6, 'bounced', 'hard_bounce', 'bounce'],
        [7, 'bounced', 'hard_bounce', 'bounce'],
      ];
      for (const [i, status, suppression, event] of expected) {
        const view = await subscriber(`r${i}@example.net`);
        assert.equal(view.subscriptions[0]?.status, status, `r${i}`);
        assert.equal(view.suppressed?.reason ?? null, suppression, `r${i}`);
        assert.ok(
          view.events.some((e) => e.type === event),
          `r${i}: ${event} event`,
        );
      }
      const listed = await cli(instance, ['feedback', 'list', '--json', '--campaign', String(first)]);
      const events = JSON.parse(listed.stdout).events as Array<{ kind: string; channel: string }>;
      assert.equal(events.filter((e) => e.kind === 'hard_bounce').length, 5);
      assert.equal(events.filter((e) => e.channel === 'smtp').length, 3);
      const status = await cli(instance, ['campaigns', 'status', String(first), '--json']);
      assert.deepEqual(JSON.parse(status.stdout).feedback, {
        hardBounces: 5,
        softBounces: 0,
        complaints: 2,
        hardBounceRate: Math.round((5 / COUNT) * 1e6) / 1e6,
        complaintRate: Math.round((2 / COUNT) * 1e6) / 1e6,
      });
    });

    it('a forged complaint or bounce changes nothing and is listed as unverified; only our own mail acts', async () => {
      const trust = await sendCampaign('Trust');
      await waitStatus(trust, ['finished']);
      const sent = new Map(copiesOf(trust).map((m) => [m.to[0] as string, m]));
      const r = (i: number) => sent.get(`r${i}@example.net`) as ReceivedMessage;
      const forged = { MSGID: 'made-up-1@evil.example' };
      // An ARF to the bare bounce address, no token, naming a subscriber.
      await deliver(
        server.inboundPort,
        'bounces@shop.test',
        fixture('arf.eml', { ...forged, RCPT: 'r10@example.net', VERP: 'bounces@shop.test' }),
        'fbl@evil.example',
      );
      // A DSN to a VERP address with 26 made-up characters.
      const madeUp = 'bounces+abcdefghijklmnopqrstuvwxyz@shop.test';
      await deliver(
        server.inboundPort,
        madeUp,
        fixture('postfix-dsn.eml', { ...forged, RCPT: 'r11@example.net', VERP: madeUp }),
      );
      // A real token (r12's own newsletter) used to report somebody else.
      await deliver(
        server.inboundPort,
        r(12).from,
        fixture('postfix-dsn.eml', { MSGID: 'made-up-2@evil.example', RCPT: 'r13@example.net', VERP: r(12).from }),
      );
      for (const i of [10, 11, 12, 13]) {
        const view = await subscriber(`r${i}@example.net`);
        assert.equal(view.subscriptions[0]?.status, 'confirmed', `r${i} is still confirmed`);
        assert.equal(view.suppressed, null, `r${i} is not suppressed`);
        assert.ok(!view.events.some((e) => ['complaint', 'bounce'].includes(e.type)), `r${i}: no consent event`);
      }
      const listed = await cli(instance, ['feedback', 'list', '--json', '--limit', '3']);
      const events = JSON.parse(listed.stdout).events as Array<{ verified: boolean; why: string; action: string }>;
      assert.deepEqual(
        events.map((e) => e.verified),
        [false, false, false],
      );
      assert.match(events[0]?.why ?? '', /r13@example\.net, but the message .* went to another address/);
      assert.match(events[1]?.why ?? '', /token that does not verify/);
      assert.match(events[2]?.why ?? '', /names no message we sent/);
      assert.ok(events.every((e) => /nothing changed/.test(e.action)));

      // Our own message's bounce, to its real VERP address, still acts.
      await deliver(server.inboundPort, r(14).from, fixture('postfix-dsn.eml', ours(r(14))));
      const bounced = await subscriber('r14@example.net');
      assert.equal(bounced.subscriptions[0]?.status, 'bounced');
      assert.equal(bounced.suppressed?.reason, 'hard_bounce');

      // `feedback parse` explains without changing anything.
      const file = join(instance.dir, 'forged.eml');
      writeFileSync(file, fixture('arf.eml', { ...forged, RCPT: 'r15@example.net', VERP: 'bounces@shop.test' }));
      const parsed = await cli(instance, ['feedback', 'parse', file, '--json']);
      assert.equal(parsed.code, 0, parsed.stderr);
      const line = JSON.parse(parsed.stdout) as Record<string, unknown>;
      assert.equal(line.file, file);
      assert.equal(line.kind, 'complaint');
      assert.equal(line.verified, false);
      assert.deepEqual(line.recipients, [
        { address: 'r15@example.net', kind: 'complaint', reason: 'feedback', status: '', diagnostic: '' },
      ]);
      assert.equal((await subscriber('r15@example.net')).subscriptions[0]?.status, 'confirmed');
    });

    it('stops a campaign when the receiver answers with complaints, and the next one skips who left', async () => {
      const second = await sendCampaign('Spring sale');
      complainAbout.add(String(second));
      const view = await waitStatus(second, ['stopped_by_guard', 'finished']);
      assert.equal(view.status, 'stopped_by_guard', JSON.stringify(view));
      assert.match(view.stopReason, /complaint rate .* is above the limit of 0\.1%/);
      assert.ok(view.held > 0, 'the rest of the campaign is held');
      assert.equal(view.total, COUNT - 9, 'bounced, complaining and unsubscribed addresses were not queued');
      assert.ok(!copiesOf(second).some((m) => /^r[0-7]@/.test(m.to[0] as string)));
      // The owner hears about it by mail, and the log says so.
      // (The forged ARF of the trust test was an abuse report about mail we did not send: it alerted too.)
      const breakerAlert = (m: ReceivedMessage) =>
        m.to.includes('owner@shop.test') && /stopped by the circuit breaker/.test(m.raw);
      const deadline = Date.now() + 10_000;
      while (!receiver.received.some(breakerAlert) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const alert = receiver.received.find(breakerAlert);
      assert.ok(alert, 'owner alert mailed');
      assert.match(alert.raw, /stopped by the circuit breaker/);
      assert.match(server.logs(), /circuit breaker stopped a campaign/);
      // Resuming needs --force.
      const plain = await cli(instance, ['campaigns', 'resume', String(second)]);
      assert.notEqual(plain.code, 0);
      assert.match(plain.stderr, /stopped by the circuit breaker.*--force/);
      complainAbout.clear();
      const forced = await cli(instance, ['campaigns', 'resume', String(second), '--force', '--json']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(JSON.parse(forced.stdout).status, 'running');
      const done = await waitStatus(second, ['finished']);
      assert.equal(done.sent, COUNT - 9);
    });
  });
}
