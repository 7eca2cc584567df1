import type { CampaignMailHandler } from '../campaigns/campaign-mail.js';
import type { Database } from '../db/database.js';
import type { OutboxRow } from '../db/schema.js';
import type { MessageHandler } from '../mail/outbox-worker.js';
import { runData, runDataOf } from './automations.repo.js';

/** What a claimed batch of automation mail loads at once: the campaign handler's part and the runs' event data. */
interface Ahead {
  campaign: unknown;
  data: Map<number, Record<string, unknown>>;
}

/**
 * An automation's mail goes the campaign path: the campaign handler renders the step's content
 * (its campaign row, named in the payload) for the person, checks again that they are confirmed
 * and not suppressed, and signs it as approved. The run's event data is the templates' `event`.
 * A step that cannot go out as approved pauses its automation (`onHold`) and its mail waits, held.
 */
export function automationMailHandler(deps: {
  database: Database;
  campaignMail: CampaignMailHandler;
  onHold: (runId: number, reason: string) => Promise<void>;
}): MessageHandler {
  return {
    async prefetch(rows): Promise<Ahead> {
      const runIds = rows.flatMap((r) => (r.automation_run_id === null ? [] : [r.automation_run_id]));
      return {
        campaign: await deps.campaignMail.prefetch(rows),
        data: await runDataOf(deps.database.db, runIds),
      };
    },

    async render(row: OutboxRow, prefetched?: unknown) {
      const contentId = row.payload ? (JSON.parse(row.payload) as { contentId?: number }).contentId : undefined;
      if (contentId === undefined || row.automation_run_id === null) return { skip: 'not an automation step' };
      const ahead = prefetched as Ahead | undefined;
      // Prefetched with the batch (a run without data is not in the map); row by row when the prefetch failed.
      const data = ahead
        ? (ahead.data.get(row.automation_run_id) ?? {})
        : await runData(deps.database.db, row.automation_run_id);
      const result = await deps.campaignMail.render({ ...row, campaign_id: contentId }, ahead?.campaign, data);
      if ('hold' in result) {
        const sentence = `Held: a step cannot go out as approved (${result.hold}). Fix it, then \`listwarden automations resume\`.`;
        await deps.onHold(row.automation_run_id, sentence);
        return { hold: sentence };
      }
      return result;
    },
  };
}
