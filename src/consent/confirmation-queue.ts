import type { Db } from '../db/database.js';
import { newMessageId } from '../mail/message-id.js';
import { confirmationTimes, enqueue } from '../mail/outbox.repo.js';
import { suppressionHash } from './suppression-key.js';
import { findSuppression } from './consent.repo.js';
import { lookbackMs, mayMailConfirmation, type ConfirmationLimits } from './send-limits.js';

export type ConfirmationMailDecision = 'queued' | 'not_needed' | 'suppressed' | 'too_soon' | 'daily_limit';

/**
 * Queues a confirmation mail unless the address is suppressed or was mailed too recently;
 * every path that sends confirmations (signup, resend, API, import) goes through here.
 */
export async function queueConfirmation(
  trx: Db,
  target: { subscriberId: number; listId: number; emailKey: string; fromAddress: string },
  limits: ConfirmationLimits,
  now: number,
): Promise<ConfirmationMailDecision> {
  if (await findSuppression(trx, suppressionHash(target.emailKey))) return 'suppressed';
  const earlier = await confirmationTimes(trx, target.subscriberId, target.listId, now - lookbackMs(limits));
  const verdict = mayMailConfirmation(earlier, now, limits);
  if (!verdict.allowed) return verdict.reason;
  const domain = target.fromAddress.slice(target.fromAddress.lastIndexOf('@') + 1);
  await enqueue(
    trx,
    {
      kind: 'confirmation',
      listId: target.listId,
      subscriberId: target.subscriberId,
      messageId: newMessageId(domain, now),
      notBefore: now,
    },
    now,
  );
  return 'queued';
}
