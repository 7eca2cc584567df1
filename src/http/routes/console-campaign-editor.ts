import { maskCredentials } from '../../shared/mask-credentials.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { field, renderConsole, requireRole } from './console-auth.js';

/** The report as shown: a scorer's URL in a finding never shows its password. */
const masked = <T>(report: T): T => JSON.parse(maskCredentials(JSON.stringify(report))) as T;

/** Campaign HTML may be up to 1 MB: the editor's forms take that much (other forms 16 KB). */
const EDITOR_BODY = 1_200_000;
const GMAIL_CLIPS_AT = 102 * 1024;

type Form = { list: string; subject: string; format: string; layout: string; html: string; text: string };

/** A new campaign's content: it goes into the list's branded layout, which carries the opt-out. */
const STARTER = `<h1>Hello {{ subscriber.name | default: "there" }}</h1>
<p>What is new at the shop this month.</p>`;

function formOf(body: unknown): Form {
  const text = (name: string) => {
    const value = field(body, name);
    return typeof value === 'string' ? value : '';
  };
  return {
    list: text('list'),
    subject: text('subject'),
    format: text('format'),
    layout: text('layout'),
    html: text('html'),
    text: text('text'),
  };
}

const input = (form: Form) => ({
  list: form.list,
  subject: form.subject,
  html: form.html,
  text: form.text.trim() === '' ? null : form.text,
  format: form.format === 'mjml' ? 'mjml' : 'html',
  layout: form.layout === 'none' ? 'none' : 'newsletter',
});

/**
 * The campaign editor: a new campaign or a draft in a code area (HTML or MJML with Liquid), a
 * preview for a sample member at desktop and phone width in sandboxed iframes (live with htmx, a
 * button without), and the pre-send check report.
 */
export function registerConsoleCampaignEditor(app: FastifyInstance, deps: HttpDeps): void {
  const editor = { config: { page: true }, bodyLimit: EDITOR_BODY, preHandler: requireRole(deps, 'editor') };

  async function preview(form: Form) {
    try {
      const p = await deps.campaigns.preview(input(form));
      return { ...p, kb: (p.htmlBytes / 1024).toFixed(1), clipped: p.htmlBytes > GMAIL_CLIPS_AT };
    } catch (error) {
      if (!isAppError(error) || !['invalid_input', 'not_found'].includes(error.code)) throw error;
      return { error: error.message };
    }
  }

  async function editorPage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: Form,
    extra: { campaignId?: string; error?: string; preview?: object },
  ) {
    return renderConsole(deps, request, reply, status, 'console-campaign-edit', {
      title: `${extra.campaignId ? 'Edit the draft' : 'New campaign'} · Listwarden`,
      lists: await deps.lists.names(),
      action: extra.campaignId ? `/console/campaigns/${extra.campaignId}/edit` : '/console/campaigns/new',
      form,
      ...extra,
    });
  }

  /** Preview (the page again with the preview) or save (create or update, then the campaign's page). */
  async function submit(request: FastifyRequest, reply: FastifyReply, campaignId?: string) {
    const form = formOf(request.body);
    if (field(request.body, 'intent') === 'preview')
      return editorPage(request, reply, 200, form, {
        ...(campaignId ? { campaignId } : {}),
        preview: await preview(form),
      });
    try {
      const saved = campaignId
        ? await deps.campaigns.update(campaignId, input(form))
        : await deps.campaigns.create(input(form));
      request.activity = { action: campaignId ? 'campaign.update' : 'campaign.create', target: String(saved.id) };
      return await reply.redirect(`/console/campaigns/${saved.id}`, 303);
    } catch (error) {
      if (!isAppError(error) || !['invalid_input', 'not_found', 'conflict'].includes(error.code)) throw error;
      return editorPage(request, reply, 400, form, { ...(campaignId ? { campaignId } : {}), error: error.message });
    }
  }

  app.get(
    '/console/campaigns/new',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    (request, reply) =>
      editorPage(
        request,
        reply,
        200,
        { list: '', subject: '', format: 'html', layout: 'newsletter', html: STARTER, text: '' },
        {},
      ),
  );
  app.post('/console/campaigns/new', editor, (request, reply) => submit(request, reply));

  app.get<{ Params: { id: string } }>(
    '/console/campaigns/:id/edit',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const status = await deps.campaigns.status(request.params.id);
      const source = await deps.campaigns.source(status.id);
      return editorPage(
        request,
        reply,
        200,
        {
          list: status.list,
          subject: source.subject,
          format: source.format,
          layout: source.layout,
          html: source.html,
          text: source.text ?? '',
        },
        {
          campaignId: String(status.id),
          ...(status.status === 'draft'
            ? {}
            : { error: `The campaign is ${status.status}; only a draft can be changed.` }),
        },
      );
    },
  );
  app.post<{ Params: { id: string } }>('/console/campaigns/:id/edit', editor, (request, reply) =>
    submit(request, reply, request.params.id),
  );

  // htmx's live preview: only the fragment.
  app.post('/console/campaigns/preview', editor, async (request, reply) => {
    const html = await deps.pages.render('console-preview', { preview: await preview(formOf(request.body)) });
    return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
  });

  // The check renders a real message, asks DNS and the spam scorer: it runs on a post from the
  // page (a link from elsewhere cannot start it), for anyone signed in.
  const checkPage = async (request: FastifyRequest, reply: FastifyReply, id: string, run: boolean) => {
    const campaign = await deps.campaigns.status(id);
    const report = run ? masked(await deps.campaigns.check(campaign.id)) : undefined;
    return renderConsole(deps, request, reply, 200, 'console-check', {
      title: `Pre-send check · ${campaign.subject} · Listwarden`,
      campaign,
      report,
      scorerFailed: report?.findings.some((f) => f.id === 'scorer-unavailable') ?? false,
    });
  };
  app.get<{ Params: { id: string } }>(
    '/console/campaigns/:id/check',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    (request, reply) => checkPage(request, reply, request.params.id, false),
  );
  app.post<{ Params: { id: string } }>(
    '/console/campaigns/:id/check',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    (request, reply) => checkPage(request, reply, request.params.id, true),
  );
}
