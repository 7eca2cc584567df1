import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ipVersion } from '../../reputation/ip-address.js';
import { isAppError } from '../../shared/app-error.js';
import { DNS_NAME } from '../../shared/dns-names.js';
import type { HttpDeps } from '../deps.js';
import { renderConsole, requireRole } from './console-auth.js';

/** The reputation page's query: the domain form (domain, IP) and the history's keyset. */
const ReputationQuery = z.object({
  domain: z
    .string({ error: 'Give one domain.' })
    .trim()
    .toLowerCase()
    .transform((d) => d.replace(/\.$/, ''))
    .refine((d) => d === '' || (d.length <= 253 && DNS_NAME.test(d)), {
      error: 'The domain is not a domain name (for example shop.example).',
    })
    .optional(),
  ip: z
    .string({ error: 'Give one sending IP.' })
    .trim()
    .refine((ip) => ip === '' || ipVersion(ip) !== undefined, { error: 'The sending IP is not an IP address.' })
    .optional(),
  before: z
    .string({ error: 'The page must be given once.' })
    .regex(/^[1-9][0-9]{0,14}$/, 'The page link is not valid.')
    .optional(),
});

const STATUS_WORDS = { pass: 'Pass', warn: 'Warning', fail: 'Fail' } as const;

/**
 * Reputation in the console: the latest blocklist check of each watched IP as the map of its
 * /24 (with a text alternative), the history of checks, and the sending domain's checklist,
 * which asks DNS only when the form is sent. Nothing here changes state.
 */
export function registerConsoleReputation(app: FastifyInstance, deps: HttpDeps): void {
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, data: object) =>
    renderConsole(deps, request, reply, status, 'console-reputation', data);

  app.get(
    '/console/reputation',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const view = deps.reputationView;
      const sendingIps = deps.config.reputation.sendingIps;
      const parsed = ReputationQuery.safeParse(request.query ?? {});
      const base = {
        title: 'Reputation · Listwarden',
        watched: await view.watched(),
        sendingIps,
        defaultDomain: view.defaultDomain() ?? '',
      };
      if (!parsed.success) {
        return render(request, reply, 400, {
          ...base,
          history: (await view.history()).checks,
          domain: '',
          ip: sendingIps[0] ?? '',
          error: parsed.error.issues[0]?.message ?? 'The form is not valid.',
        });
      }
      const { domain = '', ip = '', before } = parsed.data;
      const history = await view.history(before ? { before: Number(before) } : {});
      const data = {
        ...base,
        history: history.checks,
        historyNext: history.next === null ? null : new URLSearchParams({ before: String(history.next) }).toString(),
        domain: domain || base.defaultDomain,
        ip: ip || sendingIps[0] || '',
      };
      if (!domain) return render(request, reply, 200, data);
      if (!ip) return render(request, reply, 400, { ...data, error: 'Give the sending IP to check the domain for.' });
      try {
        const result = await view.checkDomain(domain, ip);
        return await render(request, reply, 200, {
          ...data,
          result: {
            ...result,
            checks: result.checks.map((c) => ({
              ...c,
              statusWords: STATUS_WORDS[c.status],
              // The record itself is shown once, below, with its copy button.
              fix: c.record ? `publish the ${c.record.type} record at ${c.record.name} shown below` : c.fix,
            })),
            records: result.records.map((r, i) => ({ ...r, elementId: `record-${i + 1}` })),
          },
        });
      } catch (error) {
        if (!isAppError(error) || error.code !== 'unavailable') throw error;
        return render(request, reply, 503, { ...data, dnsError: error.message });
      }
    },
  );
}
