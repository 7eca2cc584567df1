import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { FeedbackService, IngestSummary } from './feedback.service.js';
import type { ImapSettings } from '../config/imap-url.js';

const BATCH = 100;

/**
 * Polls a mailbox for bounces and complaints, for shops whose MTA delivers them to a mailbox
 * rather than to the inbound listener: unseen messages are fetched, ingested, then flagged \Seen
 * (or moved to the done folder). A message is only marked once its report is stored, so a crash
 * in between means it is read again next time, and intake's idempotency skips it.
 */
export function createImapPoller(options: { settings: ImapSettings; feedback: FeedbackService; logger: Logger }) {
  const { settings, logger } = options;
  return {
    async pollOnce(): Promise<IngestSummary> {
      const client = new ImapFlow({
        host: settings.host,
        port: settings.port,
        secure: settings.secure,
        auth: { user: settings.user, pass: settings.password },
        logger: false,
        // imap:// still upgrades with STARTTLS whenever the server offers it.
        socketTimeout: 60_000,
      });
      client.on('error', (error: Error) => logger.warn({ err: error.message }, 'IMAP connection error'));
      const total: IngestSummary = { messages: 0, applied: 0, duplicates: 0, quarantined: 0, kinds: {} };
      await client.connect();
      try {
        const lock = await client.getMailboxLock(settings.mailbox);
        try {
          if (settings.doneFolder) await client.mailboxCreate(settings.doneFolder).catch(() => undefined);
          const found = await client.search({ seen: false }, { uid: true });
          const uids = Array.isArray(found) ? found : [];
          for (let i = 0; i < uids.length; i += BATCH) {
            const batch = uids.slice(i, i + BATCH);
            const sources: Buffer[] = [];
            // Fetch first, then ingest: no other IMAP command may run while a FETCH streams.
            for await (const message of client.fetch(batch, { uid: true, source: true }, { uid: true })) {
              if (message.source) sources.push(message.source);
            }
            const summary = await options.feedback.ingestMany(sources, 'imap');
            total.messages += summary.messages;
            total.applied += summary.applied;
            total.duplicates += summary.duplicates;
            total.quarantined += summary.quarantined;
            for (const [kind, n] of Object.entries(summary.kinds))
              total.kinds[kind as keyof typeof total.kinds] =
                (total.kinds[kind as keyof typeof total.kinds] ?? 0) + (n ?? 0);
            await client.messageFlagsAdd(batch, ['\\Seen'], { uid: true });
            if (settings.doneFolder) await client.messageMove(batch, settings.doneFolder, { uid: true });
          }
        } finally {
          lock.release();
        }
      } finally {
        await client.logout().catch(() => client.close());
      }
      if (total.messages > 0) logger.info({ mailbox: settings.mailbox, ...total }, 'feedback mailbox polled');
      return total;
    },
  };
}
