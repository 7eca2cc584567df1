import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionView } from '../../accounts/accounts.service.js';
import { allows } from '../../accounts/roles.js';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { EVENT_LABELS } from '../../consent/format-proof.js';
import { renderConsole, requireRole } from './console-auth.js';

type Query = Record<string, string | undefined>;

/** A detail of the evidence as a person reads it: nested values as "key value, key value". */
function readable(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value))
    return Object.entries(value)
      .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
  return JSON.stringify(value);
}
const text = (value: unknown, max = 254) => (typeof value === 'string' ? value.slice(0, max) : '');

/** A person as the page shows them: each consent event with its evidence written out. */
const personView = (person: Awaited<ReturnType<HttpDeps['subscribers']['show']>>) => ({
  ...person,
  events: person.events.map((e) => ({ ...e, evidence: JSON.stringify(e, null, 2) })),
});

/**
 * Subscribers in the console: search by the start of an address (a range on the address index),
 * or page a list by status; a person's page with their subscriptions and consent timeline; the
 * owner erases with the address typed again. Addresses travel in form bodies and query values,
 * which the log never records.
 */
export function registerConsolePeople(app: FastifyInstance, deps: HttpDeps): void {
  const render = (request: FastifyRequest, reply: FastifyReply, status: number, page: string, data: object) =>
    renderConsole(deps, request, reply, status, page, data);

  app.get<{ Querystring: Query }>(
    '/console/subscribers',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const q = text(request.query.q).trim();
      // An @ means an address; anything else is looked up as the start of a name too.
      const byName = text(request.query.by, 8) === 'name';
      const list = text(request.query.list, 64);
      const status = text(request.query.status, 20);
      const lists = await deps.lists.names();
      try {
        const found = q
          ? byName
            ? await deps.subscribers.searchByName(q, request.query.after)
            : await deps.subscribers.search(q, request.query.after)
          : list
            ? await deps.subscribers.page({
                list,
                ...(status ? { status } : {}),
                after: Number(request.query.after) || 0,
                limit: 50,
              })
            : undefined;
        const people = (found?.subscribers ?? []).map((p) => ({
          email: p.email,
          name: p.name ?? '',
          lists: 'lists' in p && p.lists ? p.lists.map((l) => `${l.list}: ${l.status}`).join(', ') : '',
          status: 'status' in p ? p.status : undefined,
        }));
        const next = found?.next ?? null;
        const nextQuery =
          next === null
            ? null
            : new URLSearchParams({
                ...(q ? { q, ...(byName ? { by: 'name' } : {}) } : { list, status }),
                after: String(next),
              }).toString();
        return await render(request, reply, 200, 'console-subscribers', {
          title: 'Subscribers · Listwarden',
          q,
          byName,
          list,
          status,
          lists,
          people,
          searched: found !== undefined,
          nextQuery,
        });
      } catch (error) {
        if (!isAppError(error) || !['invalid_input', 'not_found'].includes(error.code)) throw error;
        return render(request, reply, 400, 'console-subscribers', {
          title: 'Subscribers · Listwarden',
          q,
          list,
          status,
          lists,
          people: [],
          error: error.message,
        });
      }
    },
  );

  app.get<{ Querystring: Query }>(
    '/console/person',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const person = await deps.subscribers.show(text(request.query.email));
      const session = request.session as SessionView;
      return render(request, reply, 200, 'console-person', {
        title: 'A subscriber · Listwarden',
        person: personView(person),
        canErase: allows(session.role, 'owner'),
        canExport: allows(session.role, 'editor'),
      });
    },
  );

  // The proof of consent of one person to one list, as a page made for printing.
  app.get<{ Querystring: Query }>(
    '/console/person/proof',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const proof = await deps.proof(text(request.query.email), text(request.query.list, 64));
      return render(request, reply, 200, 'console-proof', {
        title: `Proof of consent · ${proof.list.name} · Listwarden`,
        proof: {
          ...proof,
          events: proof.events.map((e) => ({
            ...e,
            label: EVENT_LABELS[e.type] ?? e.type,
            details: Object.entries(e.detail)
              .filter(([, v]) => v !== null && v !== undefined && v !== '')
              .map(([k, v]) => ({ key: k, value: readable(v) })),
          })),
        },
      });
    },
  );

  // Everything we hold about one person, as the JSON a data request gets (editors).
  app.get<{ Querystring: Query }>(
    '/console/person/export',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const data = await deps.subscribers.exportData(text(request.query.email));
      await deps.activity.record({
        userId: (request.session as SessionView).userId,
        actor: (request.session as SessionView).email,
        action: 'subscriber.export',
        target: `subscriber ${data.subscriber.id}`,
        outcome: 200,
      });
      return reply
        .header('Content-Disposition', `attachment; filename="subscriber-${data.subscriber.id}.json"`)
        .header('Cache-Control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(data, null, 2));
    },
  );

  app.post(
    '/console/person/erase',
    { config: { page: true }, preHandler: requireRole(deps, 'owner') },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const email = text(body.email);
      const session = request.session as SessionView;
      if (email.toLowerCase() !== text(body.confirm).trim().toLowerCase()) {
        const person = await deps.subscribers.show(email);
        return render(request, reply, 400, 'console-person', {
          title: 'A subscriber · Listwarden',
          person: personView(person),
          canErase: true,
          error: 'Type the address exactly as shown to erase this person; nothing was erased.',
        });
      }
      await deps.subscribers.erase(email, {
        ip: null,
        userAgent: null,
        source: `console (${session.email})`,
        channel: 'console',
      });
      return render(request, reply, 200, 'console-subscribers', {
        title: 'Subscribers · Listwarden',
        q: '',
        lists: await deps.lists.names(),
        people: [],
        erased: true,
      });
    },
  );
}
