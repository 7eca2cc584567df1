import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { moveCampaign } from '../../src/campaigns/campaigns.repo.js';
import { fanOut } from '../../src/campaigns/fan-out.js';
import { createImapPoller } from '../../src/feedback/imap-poller.js';
import { DIALECTS } from '../helpers/databases.js';
import { dovecotSkip, startDovecot, type ImapServer } from '../helpers/dovecot.js';
import { fixture } from '../helpers/feedback-fixtures.js';
import { capturedMails } from '../helpers/listwarden.js';
import { confirmedSignups, servicesFor, type TestServices } from '../helpers/services.js';

for (const dialect of DIALECTS) {
  describe(`IMAP mailbox poller against Dovecot on ${dialect.name}`, { skip: dialect.skip || dovecotSkip }, () => {
    let imap: ImapServer;
    let t: TestServices;
    const sent = new Map<string, { VERP: string; MSGID: string; RCPT: string }>();

    before(async () => {
      imap = await startDovecot();
      t = await servicesFor(dialect, {
        LISTWARDEN_POSTAL_ADDRESS: 'Shop BV, Amsterdam',
        LISTWARDEN_IMAP_URL: `imap://${imap.user}:${imap.password}@127.0.0.1:${imap.port}/INBOX`,
        LISTWARDEN_IMAP_DONE_FOLDER: 'Processed',
      });
      const s = t.services;
      const list = await s.lists.create({ slug: 'news', name: 'News', from: 'news@shop.test' });
      await confirmedSignups(
        s,
        list,
        Array.from({ length: 3 }, (_, i) => ({ email: `m${i}@example.net` })),
      );
      await s.worker.drain();
      const { id } = await s.campaigns.create({
        list: 'news',
        subject: 'Sale',
        html: '<a href="{{ unsubscribe_url }}">Unsubscribe</a>',
      });
      await moveCampaign(s.database.db, id, ['draft'], 'running', Date.now());
      await fanOut(s.database, { id, list_id: list.id }, 'shop.test');
      await s.worker.drain();
      for (const m of await capturedMails(t.captureDir)) {
        if (m.raw.includes(`X-Campaign: ${id}`))
          sent.set(m.to, { VERP: m.returnPath, MSGID: (m.parsed.messageId ?? '').replace(/^<|>$/g, ''), RCPT: m.to });
      }
    });
    after(async () => {
      await t?.cleanup();
      await imap?.stop();
    });

    it('reads bounces and complaints from the mailbox, applies them, and moves them out of the way', async () => {
      const s = t.services;
      imap.deliver(fixture('gmail-dsn.eml', sent.get('m0@example.net')));
      imap.deliver(fixture('yahoo-cfl.eml', sent.get('m1@example.net')));
      imap.deliver('Subject: nothing we can read\r\n\r\nhello\r\n');
      assert.ok(s.config.imap, 'LISTWARDEN_IMAP_URL is parsed');
      const poller = createImapPoller({ settings: s.config.imap.settings, feedback: s.feedback, logger: s.logger });
      const first = await poller.pollOnce();
      assert.deepEqual(first, {
        messages: 3,
        applied: 2,
        duplicates: 0,
        quarantined: 1,
        kinds: { hard_bounce: 1, complaint: 1 },
      });
      assert.equal((await s.subscribers.show('m0@example.net')).subscriptions[0]?.status, 'bounced');
      assert.equal((await s.subscribers.show('m1@example.net')).subscriptions[0]?.status, 'unsubscribed');
      assert.equal((await s.subscribers.show('m2@example.net')).subscriptions[0]?.status, 'confirmed');
      const events = await s.feedback.list({ limit: 10 });
      assert.ok(events.events.every((e) => e.channel === 'imap'));

      assert.deepEqual((await poller.pollOnce()).messages, 0, 'handled mail is not read twice');
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: imap.port,
        secure: false,
        auth: { user: imap.user, pass: imap.password },
        logger: false,
      });
      await client.connect();
      try {
        const inbox = await client.status('INBOX', { messages: true });
        const done = await client.status('Processed', { messages: true });
        assert.equal(inbox && inbox.messages, 0);
        assert.equal(done && done.messages, 3);
      } finally {
        await client.logout();
      }
    });

    it('names the problem when the mailbox refuses the login', async () => {
      const s = t.services;
      const poller = createImapPoller({
        settings: { ...s.config.imap!.settings, password: 'wrong' },
        feedback: s.feedback,
        logger: s.logger,
      });
      await assert.rejects(poller.pollOnce(), /Authentication failed|AUTHENTICATIONFAILED|Command failed/i);
    });
  });
}
