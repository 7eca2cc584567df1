import type { Database } from '../db/database.js';
import { findListById } from '../lists/lists.repo.js';
import { findSubscriberById } from '../subscribers/subscribers.repo.js';
import { queueConfirmation } from './confirmation-queue.js';
import { clearRepermission, dueRepermissions } from './consent.repo.js';
import { DEFAULT_CONFIRMATION_LIMITS, type ConfirmationLimits } from './send-limits.js';

/**
 * Turns re-permission mails whose scheduled time has come into queued confirmation mails.
 * Imports only schedule (one column per subscription); the mail is queued when it is due, so a
 * person who confirmed, left or was erased in the meantime gets nothing.
 */
export async function releaseDueRepermissions(
  database: Database,
  now: number,
  options: { limits?: ConfirmationLimits; max?: number } = {},
): Promise<number> {
  const limits = options.limits ?? DEFAULT_CONFIRMATION_LIMITS;
  const due = await dueRepermissions(database.db, now, options.max ?? 500);
  if (due.length === 0) return 0;
  return database.transaction(async (trx) => {
    let queued = 0;
    for (const { subscriberId, listId, status } of due) {
      await clearRepermission(trx, subscriberId, listId);
      if (status !== 'pending') continue;
      const [subscriber, list] = await Promise.all([findSubscriberById(trx, subscriberId), findListById(trx, listId)]);
      if (!subscriber || !list) continue;
      const decision = await queueConfirmation(
        trx,
        { subscriberId, listId, emailKey: subscriber.email_key, fromAddress: list.from_address },
        limits,
        now,
      );
      if (decision === 'queued') queued++;
    }
    return queued;
  });
}
