import { maskCredentials } from '../../shared/mask-credentials.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionView } from '../../accounts/accounts.service.js';
import { allows } from '../../accounts/roles.js';
import { AppError, isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import multipart from '@fastify/multipart';
import { MAX_IMAGE_BYTES } from '../../brand/image.js';
import { logoBox } from '../../brand/brand.js';
import { field, refuseForeignForm, renderConsole, requireRole } from './console-auth.js';

type Notice = { saved?: string; error?: string; newKey?: { name: string; key: string } };

/** The settings page: every setting with its source; for the owner the forms, keys and users. */
async function settingsPage(
  deps: HttpDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  notice: Notice = {},
) {
  const session = request.session as SessionView;
  const owner = allows(session.role, 'owner');
  const settings = (await deps.settings.list()).map((s) => ({
    ...s,
    // Environment values may carry a password (SMTP, IMAP URLs): never shown, even to the owner.
    shown: maskCredentials(s.value ?? ''),
    source: s.overridden ? `environment (${s.variable}, stored: ${maskCredentials(s.stored ?? '-')})` : s.source,
  }));
  // The stored logo (the server's configuration takes it up within seconds; the page shows it at once).
  const logoId = settings.find((s) => s.key === 'brand.logo')?.value ?? undefined;
  const logoSize = await deps.brandAssets.size(logoId);
  return renderConsole(deps, request, reply, status, 'console-settings', {
    title: 'Settings · Listwarden',
    canEdit: owner,
    logo: logoId && logoSize ? { url: `/brand/${logoId}`, ...logoBox(logoSize) } : undefined,
    settings,
    dkimKeys: await deps.dkim.list(),
    apiKeys: owner ? await deps.apiKeys.list() : [],
    users: owner ? await deps.accounts.list() : [],
    ...notice,
  });
}

/** Console pages for settings: everyone signed in reads them, the owner changes them. */
export function registerConsoleSettings(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: { saved?: string } }>(
    '/console/settings',
    { config: { page: true }, preHandler: requireRole(deps, 'viewer') },
    async (request, reply) => {
      const saved = typeof request.query.saved === 'string' ? request.query.saved.slice(0, 80) : undefined;
      return settingsPage(deps, request, reply, 200, saved && /^[a-z0-9_. -]+$/i.test(saved) ? { saved } : {});
    },
  );

  app.post(
    '/console/settings',
    { config: { page: true }, preHandler: requireRole(deps, 'owner') },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const session = request.session as SessionView;
      const actor = `console (${session.email})`;
      try {
        // Only text: a value of another type (a JSON body) is refused, never read as "unset".
        if (body.value !== undefined && typeof body.value !== 'string')
          throw new AppError('invalid_input', "A setting's value is text; leave it empty to go back to the default.");
        const value = typeof body.value === 'string' ? body.value : '';
        const view =
          value.trim() === ''
            ? await deps.settings.unset(body.key, actor)
            : await deps.settings.set(body.key, value, actor);
        return await reply.redirect(`/console/settings?saved=${encodeURIComponent(view.key)}`, 303);
      } catch (error) {
        if (!isAppError(error) || !['invalid_input', 'not_found'].includes(error.code)) throw error;
        return settingsPage(deps, request, reply, 400, { error: error.message });
      }
    },
  );
}

/** The owner's keys and people: DKIM keys (generate), API keys (create once, revoke), users (create). */
export function registerConsoleKeys(app: FastifyInstance, deps: HttpDeps): void {
  const owner = { config: { page: true }, preHandler: requireRole(deps, 'owner') };
  const back = (reply: FastifyReply, what: string) =>
    reply.redirect(`/console/settings?saved=${encodeURIComponent(what)}`, 303);
  /** A refusal is the settings page with the sentence; anything else is the error page. */
  const orRefusal = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) => {
    try {
      return await work();
    } catch (error) {
      if (!isAppError(error) || !['invalid_input', 'not_found', 'conflict'].includes(error.code)) throw error;
      return settingsPage(deps, request, reply, 400, { error: error.message });
    }
  };

  app.post('/console/dkim', owner, (request, reply) =>
    orRefusal(request, reply, async () => {
      const selector = field(request.body, 'selector');
      const view = await deps.dkim.generate({
        domain: field(request.body, 'domain'),
        ...(typeof selector === 'string' && selector.trim() !== '' ? { selector } : {}),
        ed25519: field(request.body, 'algorithm') === 'ed25519',
      });
      return back(reply, `DKIM key ${view.record.name}`);
    }),
  );

  app.post('/console/api-keys', owner, (request, reply) =>
    orRefusal(request, reply, async () => {
      const created = await deps.apiKeys.create(field(request.body, 'name'));
      // Shown once, on this answer only (no-store); only its hash is kept.
      return settingsPage(deps, request, reply, 200, { newKey: created });
    }),
  );

  app.post('/console/api-keys/revoke', owner, (request, reply) =>
    orRefusal(request, reply, async () => {
      const name = field(request.body, 'name');
      await deps.apiKeys.revoke(typeof name === 'string' ? name : '');
      return back(reply, `revoked API key ${String(name).slice(0, 64)}`);
    }),
  );

  app.post('/console/users', owner, (request, reply) =>
    orRefusal(request, reply, async () => {
      const user = await deps.accounts.createUser({
        email: field(request.body, 'email'),
        role: field(request.body, 'role'),
        password: field(request.body, 'password'),
      });
      return back(reply, `user ${user.email}`);
    }),
  );
}

/**
 * The shop's logo from the browser: one image (multipart, 1 MB) stored as a brand image and named
 * by `brand.logo`; the form's token is read before the file. The other brand fields are settings.
 */
export async function registerConsoleLogo(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 3, fieldSize: 200 } });
    scope.post(
      '/console/settings/logo',
      { config: { page: true }, preHandler: requireRole(deps, 'owner', { csrfInHandler: true }) },
      async (request, reply) => {
        const refused = (message: string) => settingsPage(deps, request, reply, 400, { error: message });
        if (!request.isMultipart()) return refused('Choose an image file to upload.');
        const session = request.session as SessionView;
        let csrf: unknown;
        let bytes: Buffer | undefined;
        try {
          for await (const part of request.parts()) {
            if (part.type === 'field') {
              if (part.fieldname === '_csrf') csrf = part.value;
              continue;
            }
            refuseForeignForm(deps, session, csrf);
            if (bytes || part.fieldname !== 'logo') {
              part.file.resume();
              return await refused("Upload one image, in the form's logo field.");
            }
            bytes = await part.toBuffer();
          }
        } catch (error) {
          if (isAppError(error)) throw error; // a foreign form: the 403 page
          const tooLarge = (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';
          return refused(
            tooLarge
              ? 'The image is larger than 1 MB; a logo needs far less (make it about 400 pixels wide).'
              : 'The upload could not be read; choose the image again.',
          );
        }
        refuseForeignForm(deps, session, csrf);
        if (!bytes) return refused('Choose an image file to upload.');
        request.activity = { action: 'settings.set', target: 'brand.logo' };
        try {
          await deps.settings.set('brand.logo', await deps.brandAssets.store(bytes), `console (${session.email})`);
        } catch (error) {
          if (isAppError(error) && error.code === 'invalid_input') return refused(error.message);
          throw error;
        }
        return reply.redirect('/console/settings?saved=brand.logo', 303);
      },
    );
  });
}
