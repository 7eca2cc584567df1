import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CampaignStatusView } from '../../campaigns/campaigns.service.js';
import type { SessionView } from '../../accounts/accounts.service.js';
import { parseSendAt } from '../../campaigns/campaign-input.js';
import { AppError, isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { createLiveProgress, EVENT_STREAM_HEADERS, endWithSession, sseEvent } from '../live-progress.js';
import { field, renderConsole, requireRole, SESSION_COOKIE } from './console-auth.js';

const ACTIONS = ['send', 'pause', 'resume', 'cancel', 'schedule', 'test'] as const;
type Action = (typeof ACTIONS)[number];
const MOVING = new Set(['running', 'scheduled']);
const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;

/** "about 3 min": the unsent mail at the last minute's rate. */
function timeLeft(c: CampaignStatusView): string | undefined {
  const left = c.queued + c.deferred;
  if (c.status !== 'running' || left === 0 || c.ratePerSecond <= 0) return undefined;
  const seconds = left / c.ratePerSecond;
  return seconds < 90
    ? `${Math.ceil(seconds)} s`
    : seconds < 5400
      ? `${Math.ceil(seconds / 60)} min`
      : `${(seconds / 3600).toFixed(1)} h`;
}

/** What the progress fragment shows, for the page and for each live update. */
export async function progressData(deps: HttpDeps, id: string) {
  const campaign = await deps.campaigns.status(id);
  return {
    campaign,
    timeLeft: timeLeft(campaign),
    deferrals: campaign.deferred > 0 ? await deps.campaigns.deferralsByDomain(campaign.id) : [],
    hardRate: percent(campaign.feedback.hardBounceRate),
    complaintRate: percent(campaign.feedback.complaintRate),
  };
}

/** Test copies an hour: per user, and per receiving address (a test copy is mail without consent). */
const TEST_COPIES_PER_USER = 30;
const TEST_COPIES_PER_ADDRESS = 5;

/** A sliding hour of uses per key, in memory; `take` refuses with a sentence past `max`. */
function hourlyLimit(clock: { now(): number }) {
  const uses = new Map<string, number[]>();
  return {
    take(key: string, max: number): void {
      const now = clock.now();
      const recent = (uses.get(key) ?? []).filter((t) => t > now - 3_600_000);
      if (recent.length >= max)
        throw new AppError('rate_limited', `That is ${max} test copies in the last hour; try again later.`);
      recent.push(now);
      uses.set(key, recent);
      if (uses.size > 10_000) uses.delete(uses.keys().next().value as string);
    },
  };
}

/** Campaigns in the console: the list, a campaign's live progress and results, an editor's actions. */
export function registerConsoleCampaigns(app: FastifyInstance, deps: HttpDeps): void {
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, page: string, data: object) =>
    renderConsole(deps, request, reply, status, page, data);
  const testCopies = hourlyLimit(deps.clock);
  const live = createLiveProgress({
    logger: deps.logger,
    render: async (id) => {
      const data = await progressData(deps, id);
      const html = await deps.pages.render('console-progress', { ...data, live: true });
      return { html, moving: MOVING.has(data.campaign.status) };
    },
  });
  app.addHook('onClose', async () => live.close());

  const campaignPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    status: number,
    notice: { done?: string; error?: string } = {},
  ) => {
    const data = await progressData(deps, id);
    const view = data.campaign;
    return render(request, reply, status, 'console-campaign', {
      title: `${view.subject} · Campaigns · Listwarden`,
      ...data,
      moving: MOVING.has(view.status),
      finished: ['finished', 'cancelled'].includes(view.status),
      can: {
        edit: view.status === 'draft',
        send: view.status === 'draft',
        pause: view.status === 'running',
        resume: view.status === 'paused' || view.status === 'stopped_by_guard',
        cancel: ['draft', 'scheduled', 'running', 'paused', 'stopped_by_guard'].includes(view.status),
      },
      ...notice,
    });
  };

  app.get(
    '/console/campaigns',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) =>
      render(request, reply, 200, 'console-campaigns', {
        title: 'Campaigns · Listwarden',
        campaigns: await deps.campaigns.list({ limit: 100 }),
      }),
  );

  app.get<{ Params: { id: string } }>(
    '/console/campaigns/:id',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => campaignPage(request, reply, request.params.id, 200),
  );

  // Server-Sent Events: the progress fragment once a second while the campaign moves; the page
  // works without it (a reload shows the same).
  app.get<{ Params: { id: string } }>(
    '/console/campaigns/:id/live',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const first = await progressData(deps, request.params.id); // 404 for an unknown campaign
      const id = String(first.campaign.id);
      reply.hijack();
      reply.raw.writeHead(200, EVENT_STREAM_HEADERS);
      reply.raw.write('retry: 5000\n\n');
      // `done` tells the page to close the stream (sse-close) instead of reconnecting.
      if (!MOVING.has(first.campaign.status)) return reply.raw.end(sseEvent('done', 'finished'));
      const stop = live.watch(id, (html) => {
        if (html === '') reply.raw.end(sseEvent('done', 'finished'));
        else reply.raw.write(sseEvent('progress', html));
      });
      // A stream ends with its session: a sign-out elsewhere closes it within seconds.
      const token = request.cookies[SESSION_COOKIE];
      endWithSession(request.raw, reply.raw, async () => (await deps.accounts.session(token)) !== undefined, stop);
      return reply;
    },
  );

  app.post<{ Params: { id: string; action: string } }>(
    '/console/campaigns/:id/:action',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const { id, action } = request.params;
      if (!ACTIONS.includes(action as Action)) return reply.callNotFound();
      request.activity = { action: `campaign.${action}`, target: id };
      try {
        let done: string;
        if (action === 'send') {
          await deps.campaigns.send(id);
          done = 'Checked and sending.';
        } else if (action === 'schedule') {
          // "Send later" never means now: an empty or past time is refused, not sent at once.
          const at = parseSendAt(field(request.body, 'at'));
          if (at === undefined || at <= deps.clock.now())
            throw new AppError(
              'invalid_input',
              'Give a time in the future, with its zone, e.g. 2026-12-01T09:00:00+01:00.',
            );
          const view = await deps.campaigns.send(id, field(request.body, 'at'));
          done = `Checked and scheduled for ${view.sendAt}.`;
        } else if (action === 'test') {
          const to = field(request.body, 'to');
          testCopies.take(`user ${(request.session as SessionView).userId}`, TEST_COPIES_PER_USER);
          testCopies.take(`to ${String(to).trim().toLowerCase().slice(0, 254)}`, TEST_COPIES_PER_ADDRESS);
          const sent = await deps.campaigns.test(id, to);
          request.activity = { action: 'campaign.test', target: id, detail: { to: sent.to } };
          done = `A test copy went to ${sent.to}.`;
        } else {
          if (action === 'pause') await deps.campaigns.pause(id);
          else if (action === 'resume') await deps.campaigns.resume(id);
          else await deps.campaigns.cancel(id);
          done = action === 'cancel' ? 'Cancelled.' : action === 'pause' ? 'Paused.' : 'Resumed.';
        }
        return await campaignPage(request, reply, id, 200, { done });
      } catch (error) {
        // A refusal is the campaign's page with the sentence (a test copy to a stranger is forbidden).
        if (!isAppError(error) || !['conflict', 'invalid_input', 'forbidden', 'rate_limited'].includes(error.code))
          throw error;
        const status = { conflict: 409, forbidden: 403, rate_limited: 429 }[error.code as string] ?? 400;
        return campaignPage(request, reply, id, status, { error: error.message });
      }
    },
  );
}
