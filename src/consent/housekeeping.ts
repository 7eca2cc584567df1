import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { cancelUnsentFor } from '../mail/outbox.repo.js';
import { deleteSubscriber, orphansAmong } from '../subscribers/subscribers.repo.js';
import { anonymiseEvents, deleteSubscription, pruneConfirmationLimits as prune, stalePending } from './consent.repo.js';

/**
 * Purges subscriptions that stayed pending longer than `ttlMs`: an unconfirmed signup is no
 * consent, so nothing personal about it is kept. Subscribers left with no subscription go too.
 */
export async function purgeStalePending(
  database: Database,
  ttlMs: number,
  now: number,
  logger?: Logger,
): Promise<number> {
  let purged = 0;
  for (;;) {
    const batch = await stalePending(database.db, now - ttlMs, 500);
    if (batch.length === 0) break;
    await database.transaction(async (trx) => {
      for (const { subscriberId, listId } of batch) {
        await deleteSubscription(trx, subscriberId, listId);
        await anonymiseEvents(trx, subscriberId, listId);
      }
      const orphans = await orphansAmong(trx, [...new Set(batch.map((b) => b.subscriberId))]);
      for (const id of orphans) {
        await cancelUnsentFor(trx, id, now);
        await anonymiseEvents(trx, id);
        await deleteSubscriber(trx, id);
      }
    });
    purged += batch.length;
  }
  if (purged > 0) logger?.info({ purged }, 'purged unconfirmed subscriptions');
  return purged;
}

/** The per-mailbox and per-domain confirmation limits look back a day; older records go. */
export async function pruneConfirmationLimits(database: Database, now: number): Promise<void> {
  await prune(database.db, now - 2 * 86_400_000, Math.floor(now / 3_600_000) - 48);
}
