import type { Db } from '../db/database.js';
import { newMessageId } from '../mail/message-id.js';
import { confirmationTimes, enqueue } from '../mail/outbox.repo.js';
import { lastLeftAt } from './consent.repo.js';
import { suppressionHash } from './suppression-key.js';
import { countMailboxSend, findSuppression, takeDomainSlot } from './consent.repo.js';
import { mailboxKey } from '../subscribers/email-address.js';
import { lookbackMs, mayMailConfirmation, type ConfirmationLimits } from './send-limits.js';

export type ConfirmationMailDecision =
  'queued' | 'not_needed' | 'suppressed' | 'too_soon' | 'daily_limit' | 'mailbox_limit';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Queues a confirmation mail unless the address is suppressed or was mailed too recently;
 * every path that sends confirmations (signup, resend, API, import) goes through here.
 */
export async function queueConfirmation(
  trx: Db,
  target: {
    subscriberId: number;
    listId: number;
    emailKey: string;
    fromAddress: string;
    /** Asked for from outside (a signup, a resend link): the per-mailbox and per-domain limits apply. */
    outside?: boolean;
    /**
     * Joining again from the preference centre: a "left everything" suppression does not stop the
     * mail (it is lifted when they confirm), and links sent before they left, which can no longer
     * confirm, do not count toward the 10-minute interval (they do toward the daily limit).
     */
    rejoin?: boolean;
  },
  limits: ConfirmationLimits,
  now: number,
): Promise<ConfirmationMailDecision> {
  const suppression = await findSuppression(trx, suppressionHash(target.emailKey));
  if (suppression && !(target.rejoin && suppression.reason === 'unsubscribed_all')) return 'suppressed';
  const earlier = await confirmationTimes(trx, target.subscriberId, target.listId, now - lookbackMs(limits));
  const leftAt = target.rejoin ? await lastLeftAt(trx, target.subscriberId, target.listId) : undefined;
  const verdict = mayMailConfirmation(earlier, now, limits, leftAt);
  if (!verdict.allowed) return verdict.reason;
  let notBefore = now;
  if (target.outside) {
    // One inbox, however it is spelled (+tags, Gmail dots) and whichever lists it is signed up to.
    const mailbox = mailboxKey(target.emailKey);
    const mailboxHash = suppressionHash(mailbox);
    if ((await countMailboxSend(trx, mailboxHash, now, DAY_MS)) > limits.maxPerMailboxPerDay) return 'mailbox_limit';
    // The recipient domain's hourly ceiling: a mail past it goes in the domain's next hour with room.
    const recipientDomain = mailbox.slice(mailbox.lastIndexOf('@') + 1);
    const hour = await takeDomainSlot(trx, recipientDomain, Math.floor(now / HOUR_MS), limits.perDomainPerHour);
    notBefore = Math.max(now, hour * HOUR_MS);
  }
  const domain = target.fromAddress.slice(target.fromAddress.lastIndexOf('@') + 1);
  await enqueue(
    trx,
    {
      kind: 'confirmation',
      listId: target.listId,
      subscriberId: target.subscriberId,
      messageId: newMessageId(domain, now),
      notBefore,
    },
    now,
  );
  return 'queued';
}
