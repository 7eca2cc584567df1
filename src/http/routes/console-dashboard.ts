import type { FastifyInstance } from 'fastify';
import type { CampaignStatusView } from '../../campaigns/campaigns.service.js';
import { lineChart } from '../svg-chart.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';
import { progressData } from './console-campaigns.js';

const MAIL: readonly { key: string; name: string; colour: string; dashed?: boolean }[] = [
  { key: 'sent', name: 'Sent', colour: 'var(--c1)' },
  { key: 'delivered', name: 'Delivered (dashed)', colour: 'var(--c2)', dashed: true },
];
const PROBLEMS: readonly { key: string; name: string; colour: string; dashed?: boolean }[] = [
  { key: 'hardBounces', name: 'Hard bounces', colour: 'var(--c3)' },
  { key: 'softBounces', name: 'Soft bounces', colour: 'var(--c4)' },
  { key: 'complaints', name: 'Complaints', colour: 'var(--c5)' },
  { key: 'unsubscribes', name: 'Unsubscribes', colour: 'var(--c6)' },
];

/** One alert of the dashboard: what happened and what to do. */
interface Alert {
  what: string;
  todo: string;
  href?: string;
}

function campaignAlert(c: CampaignStatusView): Alert {
  return {
    what: `“${c.subject}” ${c.status === 'stopped_by_guard' ? 'was stopped by the circuit breaker' : 'is paused'}${c.stopReason ? `: ${c.stopReason}` : ''}.`,
    todo:
      c.status === 'stopped_by_guard'
        ? 'Find the cause (complaints, bounces, a receiver refusing us) before resuming.'
        : 'Resume it when the reason is dealt with.',
    href: `/console/campaigns/${c.id}`,
  };
}

/** The dashboard: the last 30 days as charts, campaigns sending now, and what needs a person. */
export function registerConsoleDashboard(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/console', { config: { page: true }, preHandler: requireRole(deps, 'viewer') }, async (request, reply) => {
    const [running, stopped, paused, days, listings, criticals, refusals] = await Promise.all([
      deps.campaigns.list({ status: 'running', limit: 20 }),
      deps.campaigns.list({ status: 'stopped_by_guard', limit: 20 }),
      deps.campaigns.list({ status: 'paused', limit: 20 }),
      deps.dailyCounts.lastDays(30),
      deps.reputation.listings(),
      deps.spambotWatch.openCriticals(),
      deps.feedbackBrowser.refusingUs(deps.clock.now()),
    ]);
    const views = await Promise.all([...running, ...stopped, ...paused].map((c) => deps.campaigns.status(c.id)));
    const alerts: Alert[] = [
      ...views.filter((v) => v.status !== 'running').map(campaignAlert),
      ...listings.map((l) => ({
        what: `Our sending IP ${l.ip} is listed on ${l.zones.join(', ')}.`,
        todo: 'Find out why (the Reputation page), fix the cause, then ask the list for delisting.',
        href: '/console/reputation',
      })),
      ...refusals.map((r) => ({
        what: `${r.provider} refused our mail ${r.count} time${r.count === 1 ? '' : 's'} in the last 24 hours because of us (${r.reason}).`,
        todo: "This is about our server or domain, not the recipients: check the Reputation page (blocklists, SPF, DKIM, DMARC) and the provider's postmaster pages.",
        href: '/console/reputation',
      })),
      ...criticals.map((f) => ({
        what: `The server check found a critical problem (${f.id}): ${f.evidence}`,
        todo: 'Fix it now: this host may be sending mail that is not ours. The Server audit page says how.',
        href: '/console/audit',
      })),
    ];
    const labels = days.map((d) => d.day);
    const chart = (title: string, parts: typeof MAIL) =>
      lineChart(
        title,
        labels,
        parts.map((p) => ({
          name: p.name,
          colour: p.colour,
          dashed: p.dashed === true,
          values: days.map((d) => d[p.key as keyof typeof d] as number),
        })),
      );
    const total = (key: keyof (typeof days)[number]) => days.reduce((sum, d) => sum + (d[key] as number), 0);
    return renderConsole(deps, request, reply, 200, 'console', {
      title: 'Dashboard · Listwarden',
      alerts,
      running: await Promise.all(
        views.filter((v) => v.status === 'running').map((v) => progressData(deps, String(v.id))),
      ),
      mailChart: chart('Sent and delivered, the last 30 days', MAIL),
      problemChart: chart('Bounces, complaints and unsubscribes, the last 30 days', PROBLEMS),
      mailLegend: MAIL,
      problemLegend: PROBLEMS,
      totals: {
        sent: total('sent'),
        delivered: total('delivered'),
        hardBounces: total('hardBounces'),
        softBounces: total('softBounces'),
        complaints: total('complaints'),
        unsubscribes: total('unsubscribes'),
      },
      days: [...days].reverse(),
    });
  });
}
