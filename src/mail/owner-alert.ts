import type { Db } from '../db/database.js';
import { newMessageId } from './message-id.js';
import { enqueue } from './outbox.repo.js';

export interface OwnerAlerts {
  /** Where alerts go; undefined means log lines only. */
  to: string | undefined;
  from: string;
}

/** Queues a plain-text alert to the owner in the caller's transaction (the outbox sends it). */
export async function queueOwnerAlert(
  trx: Db,
  alerts: OwnerAlerts,
  subject: string,
  text: string,
  now: number,
): Promise<boolean> {
  if (!alerts.to) return false;
  await enqueue(
    trx,
    {
      kind: 'notification',
      listId: null,
      subscriberId: null,
      campaignId: null,
      messageId: newMessageId(alerts.from.slice(alerts.from.lastIndexOf('@') + 1), now),
      notBefore: now,
      payload: JSON.stringify({ to: alerts.to, from: alerts.from, subject, text }),
    },
    now,
  );
  return true;
}
