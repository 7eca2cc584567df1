import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionView } from '../../accounts/accounts.service.js';
import { allows } from '../../accounts/roles.js';
import type { UserRole } from '../../db/schema.js';
import { AppError, isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';

export const SESSION_COOKIE = 'lw_session';
/** Before a session exists (login, setup), forms carry this cookie's value: a double-submit CSRF token. */
const FORM_COOKIE = 'lw_form';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session, when the request carries a valid one (set by `consoleSession`). */
    session?: SessionView;
    /** What a console route did, for the activity log, when the route's name is not enough. */
    activity?: { action?: string; target?: string; detail?: Record<string, string | number | boolean> };
  }
}

type Body = Record<string, unknown>;

/**
 * The activity log's name for each console form, and the one field that names its target. Only
 * fields that are neither secret nor personal: a setting's key (not its value), a list's slug; an
 * erasure names nobody (the log must not keep what was erased).
 */
const ACTIVITY: Record<string, { action: string; target?: string }> = {
  '/console/settings': { action: 'settings.set', target: 'key' },
  '/console/dkim': { action: 'dkim.generate', target: 'domain' },
  '/console/api-keys': { action: 'apikey.create', target: 'name' },
  '/console/api-keys/revoke': { action: 'apikey.revoke', target: 'name' },
  '/console/users': { action: 'user.create', target: 'email' },
  '/console/lists': { action: 'list.create', target: 'slug' },
  '/console/person/erase': { action: 'subscriber.erase' },
  '/console/lists/:slug': { action: 'list.update' },
  '/console/import': { action: 'import.upload' },
  '/console/import/:id/start': { action: 'import.start' },
  '/console/campaigns/new': { action: 'campaign.create' },
  '/console/campaigns/:id/edit': { action: 'campaign.update' },
  '/console/audit/run': { action: 'audit.run' },
};
/** Posts that change nothing (the editor's live preview) are not actions. */
const NOT_ACTIONS = new Set(['/console/campaigns/preview', '/console/campaigns/:id/check']);

/** Every POST to a console route by a signed-in user goes to the activity log with its outcome. */
function recordActivity(deps: HttpDeps, request: FastifyRequest, status: number): Promise<void> | undefined {
  const session = request.session;
  const route = request.routeOptions.url;
  if (!session || !route?.startsWith('/console') || NOT_ACTIONS.has(route)) return undefined;
  // Every post, and every page a role was refused (a viewer trying the activity log or an export).
  if (request.method !== 'POST') {
    if (status !== 403) return undefined;
    return deps.activity.record({
      userId: session.userId,
      actor: session.email,
      action: 'view',
      target: route,
      outcome: status,
    });
  }
  const params = (request.params ?? {}) as Record<string, string>;
  const known = ACTIVITY[route];
  const named = known?.target ? field(request.body, known.target) : undefined;
  const action =
    request.activity?.action ??
    known?.action ??
    route
      .replace(/^\/console\//, '')
      .replace(/\/:(\w+)/g, (_m, name: string) => (name === 'action' ? `.${params.action}` : ''))
      .replace(/\//g, '.');
  return deps.activity.record({
    userId: session.userId,
    actor: session.email,
    action,
    target: request.activity?.target ?? (typeof named === 'string' ? named : (params.id ?? params.slug)),
    outcome: status,
    detail: request.activity?.detail,
  });
}
/** A field of a posted form (or JSON body), as sent; the service checks it. */
export const field = (body: unknown, name: string): unknown => (body as Body | undefined)?.[name];

function html(deps: HttpDeps, reply: FastifyReply, status: number, page: string, data: Record<string, unknown>) {
  return deps.pages
    .render(page, data)
    .then((text) => reply.code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(text));
}

function cookieOptions(deps: HttpDeps, maxAgeSeconds: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.config.publicUrl.startsWith('https:'),
    maxAge: maxAgeSeconds,
  };
}

/** Starts the browser's session: the cookie lives as long as the session may. */
function setSessionCookie(deps: HttpDeps, reply: FastifyReply, session: { token: string; expiresAt: number }): void {
  const seconds = Math.floor((session.expiresAt - deps.clock.now()) / 1000);
  reply.setCookie(SESSION_COOKIE, session.token, cookieOptions(deps, seconds));
}

/** The pre-session form token, set when missing. */
function formToken(deps: HttpDeps, request: FastifyRequest, reply: FastifyReply): string {
  const existing = request.cookies[FORM_COOKIE];
  if (existing && deps.accounts.formTokenValid(existing)) return existing;
  const token = deps.accounts.newFormToken();
  reply.setCookie(FORM_COOKIE, token, cookieOptions(deps, 3600));
  return token;
}

function formTokenMatches(deps: HttpDeps, request: FastifyRequest): boolean {
  const cookie = request.cookies[FORM_COOKIE];
  const given = field(request.body, '_csrf');
  return (
    typeof cookie === 'string' &&
    deps.accounts.formTokenValid(cookie) &&
    typeof given === 'string' &&
    cookie.length === given.length &&
    timingSafeEqual(Buffer.from(cookie), Buffer.from(given))
  );
}

function showLogin(
  deps: HttpDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error?: string,
  email?: string,
) {
  return html(deps, reply, status, 'login', {
    title: 'Sign in · Listwarden',
    csrf: formToken(deps, request, reply),
    error,
    email: email ?? '',
  });
}

/** What `/` shows once a user exists: the console for a session, else the login page. */
export async function consoleHome(deps: HttpDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (await consoleSession(deps, request)) return reply.redirect('/console', 303);
  return showLogin(deps, request, reply, 200);
}

/**
 * A console page for the signed-in user: the page's data plus who they are, their form token and
 * what their role may change; never cached.
 */
export async function renderConsole(
  deps: HttpDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  page: string,
  data: object,
): Promise<FastifyReply> {
  const session = request.session as SessionView;
  const text = await deps.pages.render(page, {
    user: { email: session.email, role: session.role },
    csrf: session.csrf,
    canEdit: allows(session.role, 'editor'),
    ...data,
  });
  return reply.code(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(text);
}

/** Reads the session cookie into `request.session`. */
export async function consoleSession(deps: HttpDeps, request: FastifyRequest): Promise<SessionView | undefined> {
  request.session ??= await deps.accounts.session(request.cookies[SESSION_COOKIE]);
  return request.session;
}

/**
 * A console route's guard: a page needs a session (else the login page), a role at least `needed`
 * (else a 403 page), and a POST the session's CSRF token (else a 403 page).
 */
export function requireRole(deps: HttpDeps, needed: UserRole, options: { csrfInHandler?: boolean } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const session = await consoleSession(deps, request);
    if (!session) {
      await reply.redirect('/', 303);
      return;
    }
    if (!allows(session.role, needed)) {
      throw new AppError('forbidden', `This needs the ${needed} role; you are signed in as ${session.role}.`);
    }
    // A file upload (multipart) checks the token itself, before it reads the file.
    if (request.method === 'POST' && !options.csrfInHandler)
      refuseForeignForm(deps, session, field(request.body, '_csrf'));
  };
}

/** A console form's CSRF token must be the session's: anything else is a 403 page. */
export function refuseForeignForm(deps: HttpDeps, session: SessionView, token: unknown): void {
  if (!deps.accounts.csrfMatches(session, token))
    throw new AppError(
      'forbidden',
      'This form is out of date or did not come from this console; reload the page and try again.',
    );
}

/** `/` (login once a user exists), `/login`, `/logout`, `/setup/:token` and the console's first page. */
export function registerConsoleAuth(app: FastifyInstance, deps: HttpDeps): void {
  app.addHook('onResponse', async (request, reply) => {
    try {
      await recordActivity(deps, request, reply.statusCode);
    } catch (error) {
      request.log.error({ err: error }, 'the activity log could not be written');
    }
  });
  const loginPage = (request: FastifyRequest, reply: FastifyReply, status: number, error?: string, email?: string) =>
    showLogin(deps, request, reply, status, error, email);

  app.post('/login', { config: { page: true, rateLimit: { max: 10, timeWindow: 60_000 } } }, async (request, reply) => {
    const email = field(request.body, 'email');
    if (!formTokenMatches(deps, request))
      return loginPage(request, reply, 403, 'The form was out of date; please sign in again.');
    try {
      setSessionCookie(deps, reply, await deps.accounts.login(email, field(request.body, 'password')));
      await deps.activity.record({ userId: null, actor: String(email).slice(0, 254), action: 'login', outcome: 303 });
      return await reply.redirect('/console', 303);
    } catch (error) {
      if (!isAppError(error) || !['unauthorized', 'rate_limited', 'invalid_input'].includes(error.code)) throw error;
      const status = error.code === 'rate_limited' ? 429 : 401;
      if (typeof email === 'string' && email.length <= 254)
        await deps.activity.record({ userId: null, actor: email, action: 'login.failed', outcome: status });
      return loginPage(request, reply, status, error.message, typeof email === 'string' ? email.slice(0, 254) : '');
    }
  });

  app.get('/login', { config: { page: true } }, async (_request, reply) => reply.redirect('/', 303));

  app.post('/logout', { config: { page: true } }, async (request, reply) => {
    const session = await consoleSession(deps, request);
    if (session && deps.accounts.csrfMatches(session, field(request.body, '_csrf'))) {
      await deps.accounts.logout(request.cookies[SESSION_COOKIE]);
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/', 303);
  });

  const setupPage = (request: FastifyRequest, reply: FastifyReply, status: number, token: string, error?: string) =>
    html(deps, reply, status, 'setup', {
      title: 'Create the first owner · Listwarden',
      csrf: formToken(deps, request, reply),
      action: `/setup/${token}`,
      error,
    });

  app.get<{ Params: { token: string } }>('/setup/:token', { config: { page: true } }, async (request, reply) => {
    if (!(await deps.accounts.setupTokenValid(request.params.token)))
      throw new AppError(
        'gone',
        'This setup link is used or expired. `listwarden users create --role owner` makes an owner.',
      );
    return setupPage(request, reply, 200, request.params.token);
  });

  app.post<{ Params: { token: string } }>(
    '/setup/:token',
    { config: { page: true, rateLimit: { max: 10, timeWindow: 60_000 } } },
    async (request, reply) => {
      const { token } = request.params;
      if (!formTokenMatches(deps, request))
        return setupPage(request, reply, 403, token, 'The form was out of date; please try again.');
      if (field(request.body, 'password') !== field(request.body, 'password2'))
        return setupPage(request, reply, 400, token, 'The two passwords differ.');
      try {
        const created = await deps.accounts.completeSetup(token, {
          email: field(request.body, 'email'),
          password: field(request.body, 'password'),
        });
        setSessionCookie(deps, reply, created);
        return await reply.redirect('/console', 303);
      } catch (error) {
        if (!isAppError(error) || error.code !== 'invalid_input') throw error;
        return setupPage(request, reply, 400, token, error.message);
      }
    },
  );
}
