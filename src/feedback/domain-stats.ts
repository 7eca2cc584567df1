import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { GuardStats } from './guard.js';

/** Deliveries, complaints and hard bounces of all campaign mail from `domain` since `since`. */
export async function domainStats(db: Db, domain: string, since: number): Promise<GuardStats> {
  const pattern = `%@${domain.replace(/[%_\\]/g, '')}`;
  const delivered = await db
    .selectFrom('outbox as o')
    .innerJoin('lists as l', 'l.id', 'o.list_id')
    .select((s) => s.fn.countAll<number>().as('n'))
    .where('o.kind', '=', 'campaign')
    .where('o.status', 'in', ['sent', 'bounced'])
    .where('o.updated_at', '>=', since)
    .where(sql<string>`lower(l.from_address)`, 'like', pattern)
    .executeTakeFirst();
  const feedback = await db
    .selectFrom('feedback_events as f')
    .innerJoin('lists as l', 'l.id', 'f.list_id')
    .select((s) => ['f.kind', s.fn.count<number>('f.outbox_id').distinct().as('n')])
    .where('f.kind', 'in', ['complaint', 'hard_bounce'])
    .where('f.campaign_id', 'is not', null)
    .where('f.at', '>=', since)
    .where(sql<string>`lower(l.from_address)`, 'like', pattern)
    .groupBy('f.kind')
    .execute();
  const of = (kind: string) => Number(feedback.find((r) => r.kind === kind)?.n ?? 0);
  return { deliveries: Number(delivered?.n ?? 0), complaints: of('complaint'), hardBounces: of('hard_bounce') };
}
