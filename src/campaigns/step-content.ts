import type { Database } from '../db/database.js';
import type { ListsService } from '../lists/lists.service.js';
import { AppError } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Approval } from './approval.js';
import { parseCampaignInput } from './campaign-input.js';
import { compileCampaign, missingOptOut } from './campaign-template.js';
import * as repo from './campaigns.repo.js';
import { campaignSource, PLAIN_LOOK } from './newsletter-layout.js';

/**
 * The content of an automation's steps: a campaign row of status `automation`, checked and
 * approved as a campaign is at `send` (a working opt-out, the From domain's DKIM key unless
 * `force`), its snapshot stored, so each step's mail is rendered and signed as campaign mail.
 */
export function createStepContents(deps: {
  database: Database;
  lists: ListsService;
  approval: Approval;
  layoutsDir: () => string | undefined;
  clock?: Clock;
}) {
  const { database } = deps;
  const clock = deps.clock ?? systemClock;

  /** Approves the content as it would go out now; the reason it must not, if any. */
  async function approve(campaignId: number, force: boolean): Promise<void> {
    const campaign = await repo.findCampaign(database.db, campaignId);
    if (!campaign) throw new Error(`step content ${campaignId} not found`);
    const list = await deps.lists.requireListById(campaign.list_id);
    const { snapshot, keyProblem } = await deps.approval.snapshotNow(campaign, list, clock.now());
    const reason = missingOptOut(snapshot.template) ?? deps.approval.refusal(snapshot, { unsigned: force, keyProblem });
    if (reason) throw new AppError('conflict', reason);
    await repo.storeStepSnapshot(database.db, campaignId, JSON.stringify(snapshot), clock.now());
  }

  return {
    /** Stores and approves a step's content for a list; its campaign id. */
    async create(
      listId: number,
      input: { subject?: unknown; html?: unknown; text?: unknown; format?: unknown; layout?: unknown },
      options: { force?: boolean } = {},
    ): Promise<number> {
      const fields = parseCampaignInput(input);
      await compileCampaign(campaignSource({ ...fields, text: fields.text ?? null }, PLAIN_LOOK), deps.layoutsDir());
      const id = await repo.insertCampaign(
        database.db,
        { listId, ...fields, text: fields.text ?? null, status: 'automation' },
        clock.now(),
      );
      try {
        await approve(id, options.force ?? false);
      } catch (error) {
        await repo.deleteStepContent(database.db, id);
        throw error;
      }
      return id;
    },

    /** Approves a step's content again (after a key or a setting changed: `automations resume`). */
    reapprove: (campaignId: number, options: { force?: boolean } = {}) => approve(campaignId, options.force ?? false),

    /** The subject of a step, as `automations show` lists it. */
    async subjectOf(campaignId: number): Promise<string> {
      return (await repo.findCampaign(database.db, campaignId))?.subject ?? '';
    },
  };
}

export type StepContents = ReturnType<typeof createStepContents>;
