import { createAudiences, type Audiences } from './campaigns/audience.js';
import type { Approval } from './campaigns/approval.js';
import type { CampaignMailHandler } from './campaigns/campaign-mail.js';
import { createStepContents } from './campaigns/step-content.js';
import { automationMailHandler } from './automations/automation-mail.js';
import { createAutomationsService, type AutomationsService } from './automations/automations.service.js';
import { createAutomationScheduler, type AutomationScheduler } from './automations/scheduler.js';
import type { Database, Db } from './db/database.js';
import { holdAllRunning } from './campaigns/hold.js';
import { pauseAllActive } from './automations/automations.repo.js';
import type { ListsService } from './lists/lists.service.js';
import type { MessageHandler } from './mail/outbox-worker.js';
import { createAttributesService, type AttributesService } from './segments/attributes.service.js';
import { createSegmentsService, type SegmentsService } from './segments/segments.service.js';
import type { Clock } from './shared/clock.js';
import type { TokenCodec } from './consent/tokens.js';
import { createTracking, type TrackingService } from './tracking/tracking.service.js';

export interface Marketing {
  /** Named filters over a list, and the attributes (typed per list) they read. */
  segments: SegmentsService;
  attributes: AttributesService;
  /** Whom of a list a campaign goes to (campaigns.service). */
  audiences: Audiences;
  /** Welcome series and event flows; their steps are sent by the scheduler (`serve`). */
  automations: AutomationsService;
  automationScheduler: AutomationScheduler;
  /** The outbox handler of automation mail (the campaign path). */
  automationMail: MessageHandler;
  /** Opens and clicks of tracked mail, and the link report. */
  tracking: TrackingService;
  /** Pauses every running campaign and every active automation (a blocklist listing): the campaigns' ids. */
  holdAllSending: (trx: Db, reason: string, now: number) => Promise<number[]>;
}

/** Part of the composition root: segments, attributes, campaigns' audiences and automations. */
export function createMarketing(deps: {
  database: Database;
  lists: ListsService;
  approval: Approval;
  campaignMail: CampaignMailHandler;
  layoutsDir: () => string | undefined;
  clock: Clock;
  tokens: TokenCodec;
  onQueued: () => void;
}): Marketing {
  const { database, lists, clock } = deps;
  const segments = createSegmentsService({ database, lists, clock });
  const steps = createStepContents({ database, lists, approval: deps.approval, layoutsDir: deps.layoutsDir, clock });
  const automations = createAutomationsService({ database, lists, steps, clock });
  return {
    segments,
    attributes: createAttributesService({ database, lists, clock }),
    audiences: createAudiences({ lists, segments }),
    automations,
    automationScheduler: createAutomationScheduler({ database, clock, onQueued: deps.onQueued }),
    tracking: createTracking({ database, tokens: deps.tokens, clock }),
    async holdAllSending(trx, reason, now) {
      const paused = await holdAllRunning(trx, reason, now);
      await pauseAllActive(trx, reason, now);
      return paused;
    },
    automationMail: automationMailHandler({
      database,
      campaignMail: deps.campaignMail,
      onHold: (runId, reason) => automations.pauseForRun(runId, reason),
    }),
  };
}
