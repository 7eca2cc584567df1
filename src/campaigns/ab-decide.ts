import type { Database } from '../db/database.js';
import { hasUnsent } from '../mail/campaign-outbox.repo.js';
import { engagementByVariant } from '../tracking/tracking.repo.js';
import { abWinner, readAbTest } from './ab-test.js';
import { campaignsIn, restartFanOut, storeAbTest } from './campaigns.repo.js';

/**
 * Notes when an A/B test's sample has all gone out (the wait counts from then), and decides the
 * tests whose wait has passed: the winner by the
 * people (not machines) who clicked each subject, then who opened it; the decision is stored with
 * its counts and the fan-out starts again for the rest of the audience with the winning subject
 * (the next `continueFanOuts` carries it on). How many it decided.
 */
export async function decideAbTests(database: Database, now: number): Promise<number> {
  let decided = 0;
  for (const campaign of await campaignsIn(database.db, 'running')) {
    const ab = readAbTest(campaign.ab);
    if (!ab || ab.decision || campaign.fanout_after !== null) continue;
    if (ab.sampleSentAt === undefined) {
      if (!(await hasUnsent(database.db, campaign.id)))
        await storeAbTest(
          database.db,
          campaign.id,
          campaign.ab as string,
          JSON.stringify({ ...ab, sampleSentAt: now }),
          now,
        );
      continue;
    }
    if (now < ab.sampleSentAt + ab.waitMs) continue;
    const counts = await engagementByVariant(database.db, campaign.id);
    const decision = { winner: abWinner(counts.clicks, counts.opens), at: now, ...counts };
    await database.transaction(async (trx) => {
      if (await storeAbTest(trx, campaign.id, campaign.ab as string, JSON.stringify({ ...ab, decision }), now)) {
        await restartFanOut(trx, campaign.id, now);
        decided++;
      }
    });
  }
  return decided;
}
