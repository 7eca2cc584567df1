import type { Database } from '../db/database.js';
import type { Db } from '../db/database.js';
import type { CampaignRow, CampaignStatus } from '../db/schema.js';
import type { ListsService } from '../lists/lists.service.js';
import type { Logger } from 'pino';
import { campaignCounts } from '../mail/campaign-counts.repo.js';
import { hasUnsent, setUnsent } from '../mail/campaign-outbox.repo.js';
import type { OutgoingMessage, Transport } from '../mail/transport.js';
import type { Approval } from './approval.js';
import { readSnapshot, type CampaignSnapshot } from './snapshot.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { CAMPAIGN_MOVES, type CampaignEvent } from './campaign-transitions.js';
import { emitCampaignEnd } from './campaign-events.js';
import { holdCampaign } from './hold.js';
import { AppError, invalidInput, notFound } from '../shared/app-error.js';
import type { CampaignMailHandler } from './campaign-mail.js';
import { parseCampaignInput, parseSendAt } from './campaign-input.js';
import { campaignSource, PLAIN_LOOK } from './newsletter-layout.js';
import { compileCampaign, missingOptOut } from './campaign-template.js';
import * as repo from './campaigns.repo.js';
import { describeAudience, type Audiences } from './audience.js';
import { iso, statusView, type CampaignStatusView } from './status-view.js';
import { parseAbInput, readAbTest } from './ab-test.js';
import { decideAbTests } from './ab-decide.js';

export type { CampaignStatusView } from './status-view.js';
import { createFanOuts, FAN_OUT_AHEAD, fanOutBatch, type FanOutTarget } from './fan-out.js';
import { sendTestCopy } from './test-copy.js';
import { runOptOutSelfTest } from './opt-out-self-test.js';
import type { PreSendReport } from './pre-send-check.js';
import { previewCampaign } from './preview.js';
import { findSubscriberByKey } from '../subscribers/subscribers.repo.js';

export interface CampaignsDeps {
  database: Database;
  lists: ListsService;
  /** Whom of a list a campaign goes to: a segment, lists left out. */
  audiences: Audiences;
  handler: CampaignMailHandler;
  transport: Transport;
  /** The snapshot a send would approve now, and what refuses it. */
  approval: Approval;
  /** Signs a test copy as the real mail will be signed. */
  sign?: (message: OutgoingMessage) => Promise<OutgoingMessage>;
  /** The owner's layouts folder templates may name (LISTWARDEN_LAYOUTS_DIR). */
  layoutsDir?: string | undefined;
  /** Where test copies may go besides the list's confirmed members: the owner's test addresses and the admin. */
  testAddresses: readonly string[];
  onQueued?: () => void;
  /** The postal address the footer shows (the editor's preview). */
  postalAddress?: () => string;
  /** Lint, link blocklists and spam score of a rendered message (run at send, shown by check). */
  preSend?: (campaign: { id: number }) => Promise<PreSendReport>;
  /**
   * `serve`: a send returns while its fan-out goes on (the worker sends the first rows at once).
   * Otherwise (the CLI) a send returns once every recipient is queued.
   */
  fanOutInBackground?: boolean;
  logger?: Logger;
  clock?: Clock;
}

/** The domain a campaign's Message-IDs are made in: its From domain as approved. */
const messageDomain = (snapshot: CampaignSnapshot | undefined) =>
  snapshot?.list.fromAddress.split('@').pop() ?? 'localhost';

/** Every campaign status a list can ask for (`campaigns list --status`); a step's content is no campaign to list. */
const CAMPAIGN_STATUS_NAMES: Readonly<Record<Exclude<CampaignStatus, 'automation'>, true>> = {
  draft: true,
  scheduled: true,
  running: true,
  paused: true,
  finished: true,
  cancelled: true,
  stopped_by_guard: true,
};

/** Campaigns: create, refuse what cannot go out with a working opt-out, send, pause, resume, cancel. */
export function createCampaignsService(deps: CampaignsDeps) {
  const { database } = deps;
  const { db } = database;
  const clock = deps.clock ?? systemClock;
  const fanOuts = createFanOuts({
    database,
    clock,
    ...(deps.onQueued ? { onQueued: deps.onQueued } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    // In the background a worker sends while the fan-out goes on: keep pace with it. Awaited (the
    // CLI), nothing sends meanwhile, so it queues everyone at once.
    ...(deps.fanOutInBackground ? { ahead: FAN_OUT_AHEAD } : {}),
    messageDomainOf: (campaign) => messageDomain(readSnapshot(campaign)),
    audienceOf: (campaign) => deps.audiences.conditionOf(campaign, clock.now()),
    variantOf: (campaign) => deps.audiences.variantOf(campaign),
  });

  /** Fan-outs (one, or every unfinished one) in the background, or awaited (see `fanOutInBackground`). */
  function carryOn(target?: FanOutTarget): Promise<void> {
    const running = target ? fanOuts.run(target) : fanOuts.resume();
    if (!deps.fanOutInBackground) return running;
    running.catch((error: unknown) => deps.logger?.error({ err: error }, 'fan-out failed; it is tried again'));
    return Promise.resolve();
  }

  /** Moves a campaign by the transitions table; false when its status does not allow `event`. */
  async function move(
    handle: Db,
    campaign: { id: number },
    event: CampaignEvent,
    now: number,
    extra: Parameters<typeof repo.moveCampaign>[5] = {},
  ): Promise<boolean> {
    const { from, to } = CAMPAIGN_MOVES[event];
    if (event !== 'finish' && event !== 'cancel') return repo.moveCampaign(handle, campaign.id, from, to, now, extra);
    // The end of a campaign and its webhook event commit together.
    const moveAndTell = async (trx: Db) =>
      (await repo.moveCampaign(trx, campaign.id, from, to, now, extra)) &&
      (await emitCampaignEnd(trx, campaign.id, to, now, event === 'cancel' ? 'cancelled' : undefined), true);
    return handle === db ? database.transaction(moveAndTell) : moveAndTell(handle);
  }

  async function requireCampaign(id: unknown): Promise<CampaignRow> {
    const n = Number(id);
    const campaign = Number.isSafeInteger(n) && n > 0 ? await repo.findCampaign(db, n) : undefined;
    if (!campaign) throw notFound(`There is no campaign ${String(id).slice(0, 20)}.`);
    if (campaign.status === 'automation')
      throw new AppError('conflict', `${campaign.id} is a step of an automation; see \`listwarden automations\`.`);
    return campaign;
  }

  /**
   * What a send would approve now (this process's settings and keys) and the first reason it must
   * not go out, if any. `unsigned`: the sender accepts mail without a DKIM signature (--force).
   */
  async function approve(
    campaign: CampaignRow,
    options: { unsigned?: boolean } = {},
  ): Promise<{ snapshot: CampaignSnapshot; reason: string | undefined }> {
    const list = await deps.lists.requireListById(campaign.list_id);
    const { snapshot, keyProblem } = await deps.approval.snapshotNow(campaign, list, clock.now());
    const reason =
      missingOptOut(snapshot.template) ??
      deps.approval.refusal(snapshot, { unsigned: options.unsigned ?? false, keyProblem }) ??
      (await noRecipients(campaign));
    return { snapshot, reason };
  }

  async function noRecipients(campaign: CampaignRow): Promise<string | undefined> {
    const audience = await deps.audiences.conditionOf(campaign, clock.now());
    if ((await repo.confirmedRecipients(db, campaign.list_id, 0, 1, audience)).length > 0) return undefined;
    const list = await deps.lists.requireListById(campaign.list_id);
    return audience
      ? `Nobody on the list "${list.slug}" is in the campaign's audience (${describeAudience(await deps.audiences.view(campaign))}).`
      : `The list "${list.slug}" has no confirmed subscribers.`;
  }

  /** Self-test, then fan-out; the campaign is running once its rows are queued. */
  async function start(campaign: CampaignRow): Promise<void> {
    // Started from what was approved: the stored snapshot, not this process's settings.
    const approved = readSnapshot(campaign);
    const keyProblem = approved && (await deps.approval.keyProblem(approved));
    const reason = !approved
      ? 'The campaign has no approved snapshot; send it again.'
      : keyProblem
        ? `The campaign cannot be signed as approved: ${keyProblem}. Nothing was sent; fix the key, or send it again.`
        : (missingOptOut(approved.template) ?? (await noRecipients(campaign)));
    if (reason) {
      await move(db, campaign, 'unschedule', clock.now(), { stop_reason: reason });
      await repo.storeSnapshot(db, campaign.id, null, clock.now());
      throw new AppError('conflict', reason);
    }
    const selfTest = await runOptOutSelfTest(database, deps.handler, campaign, { clock });
    await repo.recordSelfTest(db, campaign.id, JSON.stringify(selfTest), clock.now());
    if (!selfTest.ok) {
      await move(db, campaign, 'unschedule', clock.now());
      await repo.storeSnapshot(db, campaign.id, null, clock.now());
      throw new AppError('conflict', `The opt-out self-test failed: ${selfTest.reason}. Nothing was sent.`);
    }
    // Running from the first batch of the fan-out on: the position (fanout_after) keeps the
    // scheduler from finishing it before every recipient is queued, and a restart carries it on.
    const now = clock.now();
    // The segment's filter as it is now goes with the campaign (a later edit changes no send).
    const audienceFilter = await deps.audiences.filterOf(campaign);
    const started = { started_at: now, stop_reason: null, fanout_after: 0, audience_filter: audienceFilter };
    if (!(await move(db, campaign, 'start', now, started)))
      throw new AppError('conflict', 'The campaign is no longer a draft.');
    const target = {
      id: campaign.id,
      list_id: campaign.list_id,
      messageDomain: messageDomain(approved),
      audience: await deps.audiences.conditionOf({ ...campaign, ...started }, now),
      variantOf: deps.audiences.variantOf(campaign),
    };
    // The first batch before answering (the send's answer counts it), the rest while the worker sends.
    if ((await fanOutBatch(database, target, clock)).more) await carryOn(target);
    deps.onQueued?.();
  }

  return {
    async create(input: {
      list?: unknown;
      segment?: unknown;
      excludeLists?: unknown;
      subject?: unknown;
      html?: unknown;
      text?: unknown;
      format?: unknown;
      layout?: unknown;
      subjectB?: unknown;
      abSample?: unknown;
      abWait?: unknown;
    }): Promise<CampaignStatusView> {
      const { list, segmentId, excludeListIds } = await deps.audiences.resolve(input);
      const fields = parseCampaignInput(input);
      const ab = parseAbInput(input);
      if (ab && list.track_clicks !== 1)
        throw invalidInput(
          `An A/B test picks the subject people click: turn on click tracking first (listwarden lists update ${list.slug} --track-clicks).`,
        );
      // Compile now (inside the layout it goes into) so a broken template is refused at once.
      for (const subject of [fields.subject, ...(ab ? [ab.subjectB] : [])])
        await compileCampaign(
          campaignSource({ ...fields, subject, text: fields.text ?? null }, PLAIN_LOOK),
          deps.layoutsDir,
        );
      const id = await repo.insertCampaign(
        db,
        {
          listId: list.id,
          subject: fields.subject,
          html: fields.html,
          text: fields.text ?? null,
          format: fields.format,
          layout: fields.layout,
          segmentId,
          excludeListIds,
          ab: ab ? JSON.stringify(ab) : null,
        },
        clock.now(),
      );
      return this.status(id);
    },

    /** A draft's new content, compiled first like `create`; anything but a draft is refused. */
    async update(
      id: unknown,
      input: { subject?: unknown; html?: unknown; text?: unknown; format?: unknown; layout?: unknown },
    ) {
      const campaign = await requireCampaign(id);
      if (campaign.status !== 'draft')
        throw new AppError('conflict', `The campaign is ${campaign.status}; only a draft can be changed.`);
      const fields = parseCampaignInput(input);
      await compileCampaign(campaignSource({ ...fields, text: fields.text ?? null }, PLAIN_LOOK), deps.layoutsDir);
      await repo.updateDraft(db, campaign.id, { ...fields, text: fields.text ?? null }, clock.now());
      return this.status(campaign.id);
    },

    /** The editor's preview: the source rendered for a sample member of the list, and the lint. */
    async preview(input: { list: unknown; subject?: unknown; html?: unknown; text?: unknown; format?: unknown }) {
      const list = await deps.lists.requireList(typeof input.list === 'string' ? input.list : '');
      const fields = parseCampaignInput(input);
      const first = (await repo.confirmedRecipients(db, list.id, 0, 1))[0];
      const sample = first ? await findSubscriberByKey(db, first.emailKey) : undefined;
      const look = await deps.approval.look(list);
      return previewCampaign(fields, {
        listName: list.name,
        sample: sample ? { email: sample.email, name: sample.name ?? '' } : undefined,
        postalAddress: look.brand.address || (deps.postalAddress?.() ?? ''),
        layouts: deps.layoutsDir,
        look,
      });
    },

    /** Deferred mail per recipient domain, the most first (from up to 5,000 deferred rows). */
    async deferralsByDomain(id: unknown): Promise<Array<{ domain: string; count: number }>> {
      const campaign = await requireCampaign(id);
      const counts = new Map<string, number>();
      for (const key of await repo.deferredRecipients(db, campaign.id, 5000)) {
        const domain = key.slice(key.lastIndexOf('@') + 1);
        counts.set(domain, (counts.get(domain) ?? 0) + 1);
      }
      return [...counts]
        .map(([domain, count]) => ({ domain, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, 10);
    },

    /** A campaign's stored source (the editor). */
    async source(id: unknown) {
      const campaign = await requireCampaign(id);
      const { subject, html, text, format, layout } = campaign;
      return { subject, html, text, format, layout };
    },

    async status(id: unknown): Promise<CampaignStatusView> {
      return statusView(
        { database, lists: deps.lists, audiences: deps.audiences, now: clock.now() },
        await requireCampaign(id),
      );
    },

    /** Sends now, or schedules for `at`; refusals and a failed self-test throw with the reason. */
    async send(id: unknown, at?: unknown, options: { force?: boolean } = {}): Promise<CampaignStatusView> {
      const campaign = await requireCampaign(id);
      if (campaign.status !== 'draft')
        throw new AppError('conflict', `Campaign ${campaign.id} is ${campaign.status}; only a draft can be sent.`);
      const sendAt = parseSendAt(at);
      const { snapshot, reason } = await approve(campaign, { unsigned: options.force ?? false });
      if (reason) throw new AppError('conflict', reason);
      if (deps.preSend && !options.force) {
        const report = await deps.preSend(campaign);
        const errors = report.findings.filter((f) => f.severity === 'error');
        if (errors.length > 0) {
          throw new AppError(
            'conflict',
            `Campaign ${campaign.id} did not pass the pre-send checks: ${errors.map((f) => f.detail).join('; ')}. Fix the content, or send with --force.`,
          );
        }
      }
      // What the checks approved is what the worker sends, whichever process runs it.
      const frozen = JSON.stringify(snapshot);
      if (!(await repo.storeSnapshot(db, campaign.id, frozen, clock.now())))
        throw new AppError('conflict', `Campaign ${campaign.id} is no longer a draft.`);
      const now = clock.now();
      if (sendAt !== undefined && sendAt > now) {
        await move(db, campaign, 'schedule', now, { send_at: sendAt });
      } else {
        await start({ ...campaign, snapshot: frozen });
      }
      return this.status(campaign.id);
    },

    /** `campaigns check`: the pre-send checks on a rendered message, changing nothing. */
    async check(id: unknown): Promise<PreSendReport & { refusal: string | null }> {
      const campaign = await requireCampaign(id);
      const refused = (campaign.status === 'draft' ? (await approve(campaign)).reason : undefined) ?? null;
      const report = deps.preSend
        ? await deps.preSend(campaign)
        : { ok: true, checkedAt: new Date(clock.now()).toISOString(), findings: [], links: [], spam: null };
      return { ...report, ok: report.ok && refused === null, refusal: refused };
    },

    /** Starts scheduled campaigns whose time has come (run by `serve`). */
    async startDue(now = clock.now()): Promise<number> {
      let started = 0;
      for (const campaign of await repo.campaignsIn(db, 'scheduled', now)) {
        try {
          await start(campaign);
          started++;
        } catch {
          // start() recorded the reason on the campaign and moved it back to draft.
        }
      }
      return started;
    },

    /** Marks running campaigns with nothing left to send as finished. */
    async finishCompleted(now = clock.now()): Promise<number> {
      let finished = 0;
      for (const campaign of await repo.campaignsIn(db, 'running')) {
        // An existence check, not a count: counting a million rows every 2 s slowed sending. A
        // campaign whose fan-out goes on is not finished, whatever has been sent so far.
        // An A/B test's sample is done before the rest is queued: not finished until decided.
        const ab = readAbTest(campaign.ab);
        if (ab && !ab.decision) continue;
        if (campaign.fanout_after === null && !(await hasUnsent(db, campaign.id))) {
          if (await move(db, campaign, 'finish', now, { finished_at: now })) finished++;
        }
      }
      return finished;
    },

    /** Decides A/B tests whose wait has passed; the rest of their audience is queued by `continueFanOuts`. */
    decideAbTests: (now = clock.now()): Promise<number> => decideAbTests(database, now),

    /** Carries on the fan-outs of running campaigns (after a restart, a resume, or a failed batch). */
    continueFanOuts: (): Promise<void> => carryOn(),

    /** Lets the fan-out batches in progress finish; the rest waits for the next process. */
    stopFanOuts: (): Promise<void> => fanOuts.stop(),

    async pause(id: unknown): Promise<CampaignStatusView> {
      const campaign = await requireCampaign(id);
      await database.transaction(async (trx) => {
        if (!(await holdCampaign(trx, campaign.id, 'pause', clock.now()))) {
          throw new AppError(
            'conflict',
            `Campaign ${campaign.id} is ${campaign.status}; only a running campaign can be paused.`,
          );
        }
      });
      return this.status(campaign.id);
    },

    /** Resumes a paused campaign; one the circuit breaker stopped needs `force` (and its count starts afresh). */
    async resume(id: unknown, options: { force?: boolean } = {}): Promise<CampaignStatusView> {
      const campaign = await requireCampaign(id);
      if (campaign.status === 'stopped_by_guard' && !options.force) {
        throw new AppError(
          'conflict',
          `Campaign ${campaign.id} was stopped by the circuit breaker (${campaign.stop_reason ?? 'no reason recorded'}). Find the cause, then resume with --force.`,
        );
      }
      await database.transaction(async (trx) => {
        const now = clock.now();
        // A forced resume restarts the circuit breaker's count: from now, and from what was delivered.
        const counts = campaign.status === 'stopped_by_guard' ? await campaignCounts(trx, campaign.id) : undefined;
        const extra = counts
          ? { guard_since: now, guard_base: (counts.sent ?? 0) + (counts.bounced ?? 0), stop_reason: null }
          : {};
        if (!(await move(trx, campaign, options.force ? 'force_resume' : 'resume', now, extra))) {
          throw new AppError(
            'conflict',
            `Campaign ${campaign.id} is ${campaign.status}; only a paused campaign can be resumed.`,
          );
        }
        // Held rows go back to the queue as they were: nothing already sent is sent again.
        await setUnsent(trx, campaign.id, ['held'], 'queued', now);
      });
      deps.onQueued?.();
      // A fan-out stopped by the pause goes on.
      await carryOn();
      return this.status(campaign.id);
    },

    async cancel(id: unknown): Promise<CampaignStatusView> {
      const campaign = await requireCampaign(id);
      await database.transaction(async (trx) => {
        const now = clock.now();
        if (!(await move(trx, campaign, 'cancel', now, { finished_at: now }))) {
          throw new AppError('conflict', `Campaign ${campaign.id} is ${campaign.status} and cannot be cancelled.`);
        }
        await setUnsent(trx, campaign.id, ['queued', 'deferred', 'held'], 'cancelled', now);
      });
      return this.status(campaign.id);
    },

    /** The latest campaigns (newest first), optionally of one list or in one status. */
    async list(filter: { list?: string; status?: string; limit?: number } = {}) {
      const list = filter.list !== undefined ? await deps.lists.requireList(filter.list) : undefined;
      const statuses = Object.keys(CAMPAIGN_STATUS_NAMES);
      if (filter.status !== undefined && !statuses.includes(filter.status)) {
        throw invalidInput(`The status must be one of ${statuses.join(', ')}.`);
      }
      const rows = await repo.listCampaigns(db, {
        ...(list ? { listId: list.id } : {}),
        ...(filter.status !== undefined ? { status: filter.status as CampaignStatus } : {}),
        limit: Math.min(Math.max(filter.limit ?? 50, 1), 1000),
      });
      return rows.map((r) => ({
        id: r.id,
        list: r.list_slug,
        status: r.status,
        subject: r.subject,
        createdAt: iso(r.created_at),
        sendAt: iso(r.send_at),
        finishedAt: iso(r.finished_at),
      }));
    },

    /** Sends one rendered copy to a test address or a confirmed member now (the subject says TEST). */
    async test(id: unknown, to: unknown): Promise<{ to: string; response: string }> {
      return sendTestCopy(deps, await requireCampaign(id), to);
    },
  };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;
