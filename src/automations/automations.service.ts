import type { Database } from '../db/database.js';
import { parseAddress } from '../consent/people.service.js';
import { findSubscription, findSuppression } from '../consent/consent.repo.js';
import { suppressionHash } from '../consent/suppression-key.js';
import type { StepContents } from '../campaigns/step-content.js';
import type { ListsService } from '../lists/lists.service.js';
import { parseSlug } from '../lists/list-input.js';
import { automationMailCounts, releaseHeldAutomationMail } from '../mail/automation-outbox.repo.js';
import { AppError, invalidInput, notFound } from '../shared/app-error.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { findSubscriberByKey } from '../subscribers/subscribers.repo.js';
import {
  formatDelay,
  MAX_STEPS,
  parseAutomationName,
  parseCancelEvents,
  parseDelay,
  parseEventData,
  parseEventName,
  parseTrigger,
} from './automation-input.js';
import * as repo from './automations.repo.js';

export interface AutomationView {
  name: string;
  list: string;
  /** `confirmed`, or the name of the event that starts it. */
  on: string;
  cancelOn: string[];
  status: 'active' | 'paused';
  stopReason: string | null;
  steps: Array<{ position: number; after: string; subject: string }>;
  runs: Record<string, number>;
  mail: Record<string, number>;
}

/**
 * Automations: flows of marketing mail on one list, started by a confirmation or an event the shop
 * posts, each step a campaign-path mail after a delay (scheduler.ts sends them). `event` is
 * `POST /api/v1/events`: it starts the flows waiting for that event and cancels those it ends.
 */
export function createAutomationsService(deps: {
  database: Database;
  lists: ListsService;
  steps: StepContents;
  clock?: Clock;
}) {
  const { database } = deps;
  const { db } = database;
  const clock = deps.clock ?? systemClock;

  async function requireAutomation(input: unknown): Promise<repo.AutomationRow> {
    const name = parseAutomationName(input);
    const row = await repo.findAutomation(db, name);
    if (!row) throw notFound(`There is no automation "${name}".`);
    return row;
  }

  async function view(row: repo.AutomationRow): Promise<AutomationView> {
    const [steps, runs, mail] = await Promise.all([
      repo.stepsOf(db, row.id),
      repo.runCounts(db, row.id),
      automationMailCounts(db, row.id),
    ]);
    return {
      name: row.slug,
      list: row.list_slug,
      on: row.trigger === 'confirmed' ? 'confirmed' : (row.event ?? ''),
      cancelOn: JSON.parse(row.cancel_events) as string[],
      status: row.status,
      stopReason: row.stop_reason,
      steps: await Promise.all(
        steps.map(async (s) => ({
          position: s.position,
          after: formatDelay(Number(s.delay_ms)),
          subject: await deps.steps.subjectOf(Number(s.campaign_id)),
        })),
      ),
      runs,
      mail,
    };
  }

  return {
    async create(input: { name: unknown; list: unknown; on: unknown; cancelOn?: unknown }): Promise<AutomationView> {
      const name = parseAutomationName(input.name);
      const list = await deps.lists.requireList(parseSlug(input.list));
      const { trigger, event } = parseTrigger(input.on);
      const cancelEvents = parseCancelEvents(input.cancelOn);
      if (event !== null && cancelEvents.includes(event))
        throw invalidInput(`The event ${event} cannot both start and cancel the automation.`);
      if (await repo.findAutomation(db, name))
        throw new AppError('conflict', `An automation "${name}" exists already.`);
      // A welcome flow greets who confirms from now on, not everyone who confirmed before.
      const afterEventId = trigger === 'confirmed' ? await repo.lastConsentEventId(db) : 0;
      await repo.insertAutomation(
        db,
        { slug: name, listId: list.id, trigger, event, cancelEvents, afterEventId },
        clock.now(),
      );
      return view((await repo.findAutomation(db, name)) as repo.AutomationRow);
    },

    /** Appends a step: its content checked and approved as a campaign's (`force`: unsigned allowed). */
    async addStep(
      nameInput: unknown,
      input: { after: unknown; subject?: unknown; html?: unknown; text?: unknown; format?: unknown; layout?: unknown },
      options: { force?: boolean } = {},
    ): Promise<AutomationView> {
      const automation = await requireAutomation(nameInput);
      const delayMs = parseDelay(input.after);
      const existing = await repo.stepsOf(db, automation.id);
      if (existing.length >= MAX_STEPS) throw invalidInput(`An automation has at most ${MAX_STEPS} steps.`);
      const contentId = await deps.steps.create(automation.list_id, input, options);
      await repo.insertStep(
        db,
        { automationId: automation.id, position: existing.length + 1, delayMs, campaignId: contentId },
        clock.now(),
      );
      return view(automation);
    },

    async list(): Promise<AutomationView[]> {
      return Promise.all((await repo.allAutomations(db)).map(view));
    },

    async show(nameInput: unknown): Promise<AutomationView> {
      return view(await requireAutomation(nameInput));
    },

    /** Stops sending: waiting runs keep their place, new ones wait too, and all go on at `resume`. */
    async pause(nameInput: unknown, reason: string | null = null): Promise<AutomationView> {
      const automation = await requireAutomation(nameInput);
      await repo.setAutomationStatus(db, automation.id, 'paused', reason, clock.now());
      return view((await repo.findAutomation(db, automation.slug)) as repo.AutomationRow);
    },

    /** Approves every step again as it would go out now, then sends on (held mail first). */
    async resume(nameInput: unknown, options: { force?: boolean } = {}): Promise<AutomationView> {
      const automation = await requireAutomation(nameInput);
      for (const step of await repo.stepsOf(db, automation.id))
        await deps.steps.reapprove(Number(step.campaign_id), options);
      await database.transaction(async (trx) => {
        await repo.setAutomationStatus(trx, automation.id, 'active', null, clock.now());
        await releaseHeldAutomationMail(trx, automation.id, clock.now());
      });
      return view((await repo.findAutomation(db, automation.slug)) as repo.AutomationRow);
    },

    /** Pauses the automation a run belongs to (a step that cannot go out as approved). */
    async pauseForRun(runId: number, reason: string): Promise<void> {
      const automationId = await repo.automationOfRun(db, runId);
      if (automationId !== undefined) await repo.setAutomationStatus(db, automationId, 'paused', reason, clock.now());
    },

    /**
     * An event of a person from the shop: flows it cancels end for them, flows it starts begin
     * (when they are a confirmed, unsuppressed subscriber of the flow's list and not in it already).
     */
    async event(input: { email: unknown; name: unknown; data?: unknown }) {
      const name = parseEventName(input.name);
      const data = parseEventData(input.data);
      const address = parseAddress(input.email);
      const answer = { event: name, started: [] as string[], cancelled: [] as string[], note: null as string | null };
      const subscriber = await findSubscriberByKey(db, address.key);
      if (!subscriber) return { ...answer, note: 'not a subscriber: nothing to start or cancel' };
      const suppressed = (await findSuppression(db, suppressionHash(subscriber.email_key))) !== undefined;
      const now = clock.now();
      await database.transaction(async (trx) => {
        for (const automation of await repo.allAutomations(trx)) {
          const cancels = (JSON.parse(automation.cancel_events) as string[]).includes(name);
          if (cancels) {
            const ended = await repo.endRuns(
              trx,
              { subscriberId: subscriber.id, automationId: automation.id },
              'cancelled',
              `event ${name}`,
              now,
            );
            if (ended > 0) answer.cancelled.push(automation.slug);
          }
          // A paused flow still takes people in; their steps wait for its resume.
          if (automation.trigger !== 'event' || automation.event !== name) continue;
          if (suppressed) continue;
          if ((await findSubscription(trx, subscriber.id, automation.list_id))?.status !== 'confirmed') continue;
          const first = (await repo.stepsOf(trx, automation.id))[0];
          if (!first) continue;
          const run = { automationId: automation.id, subscriberId: subscriber.id, dueAt: now + Number(first.delay_ms) };
          if (await repo.startRun(trx, { ...run, data: JSON.stringify(data) }, now))
            answer.started.push(automation.slug);
        }
      });
      return answer;
    },
  };
}

export type AutomationsService = ReturnType<typeof createAutomationsService>;
