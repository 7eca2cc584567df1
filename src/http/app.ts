import formbody from '@fastify/formbody';
import { registerSecurityHeaders, setSecurityHeaders } from './security-headers.js';
import { createSignupLimit } from './signup-limit.js';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { AppError, isAppError } from '../shared/app-error.js';
import type { HttpDeps } from './deps.js';
import { createPublicPages } from './public-pages.js';
import { codeForStatus, STATUS_OF } from './error-status.js';
import { OneLinePerRequest } from './request-log.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerShopRoutes } from './routes/shop-integrations.js';
import { registerConfirmRoutes } from './routes/confirm.js';
import { registerHealthRoute, registerStartPage } from './routes/health.js';
import { registerConsoleAuth } from './routes/console-auth.js';
import { registerConsoleKeys, registerConsoleLogo, registerConsoleSettings } from './routes/console-settings.js';
import { registerConsoleLists } from './routes/console-lists.js';
import { registerConsoleList } from './routes/console-list.js';
import { registerConsolePeople } from './routes/console-people.js';
import { registerConsoleCampaigns } from './routes/console-campaigns.js';
import { registerConsoleFeedback } from './routes/console-feedback.js';
import { registerConsoleReputation } from './routes/console-reputation.js';
import { registerConsoleAudit } from './routes/console-audit.js';
import { registerAssets } from './routes/assets.js';
import { registerConsoleDashboard } from './routes/console-dashboard.js';
import { registerConsoleCampaignEditor } from './routes/console-campaign-editor.js';
import { registerConsoleImport } from './routes/console-import.js';
import { registerConsoleActivity } from './routes/console-activity.js';
import { registerOptOutRoutes } from './routes/opt-out.js';
import { registerTrackingRoutes } from './routes/tracking.js';
import { registerSignupApiRoute } from './routes/signup-api.js';
import { registerSignupFormRoutes } from './routes/signup-form.js';
import { registerBrandAssetRoutes } from './routes/brand-assets.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers people with HTML pages, so errors are pages too. */
    page?: boolean;
  }
}

/** Builds the HTTP server: public pages, the public JSON signup, the admin API. */
export async function buildHttpApp(given: Omit<HttpDeps, 'publicPages'>): Promise<FastifyInstance> {
  const deps: HttpDeps = { ...given, publicPages: createPublicPages(given) };
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 64 * 1024,
    logController: new OneLinePerRequest(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Requests Node cannot parse (headers or address over 16 KB, broken HTTP) never reach a route:
    // answered here in the house format, with the security headers, and the connection closed.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const [status, reason, code, message] = tooLarge
        ? [
            431,
            'Request Header Fields Too Large',
            'request_too_large',
            'The address or headers of the request are too long.',
          ]
        : timeout
          ? [408, 'Request Timeout', 'timeout', 'The request took too long to arrive.']
          : [400, 'Bad Request', 'bad_request', 'The request could not be read.'];
      const body = JSON.stringify({ error: code, message });
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `X-Content-Type-Options: nosniff\r\nContent-Security-Policy: frame-ancestors 'none'\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
    // A too long or badly encoded address is answered in the house format, without echoing it.
    frameworkErrors: (error, request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      setSecurityHeaders(reply, request.url);
      void sendError(
        request,
        reply,
        deps,
        tooLong ? 414 : 400,
        tooLong ? 'uri_too_long' : 'bad_request',
        tooLong ? 'The address of this page is too long.' : 'The address of this page is not valid.',
        !request.url.startsWith('/api/'),
      );
    },
  });

  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests from your address. Please try again in ${context.after}.`),
  });

  app.setErrorHandler(async (error: FastifyError | AppError, request, reply) => {
    let status: number;
    let code: string;
    let message: string;
    if (isAppError(error)) {
      status = STATUS_OF[error.code];
      code = error.code;
      message = error.message;
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      code = codeForStatus(status);
      message = friendlyFrameworkMessage(error);
    } else {
      status = 500;
      code = 'internal';
      message = 'Something went wrong on our side. The problem was logged; please try again later.';
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendError(request, reply, deps, status, code, message);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const page = !request.url.startsWith('/api/');
    return sendError(
      request,
      reply,
      deps,
      404,
      'not_found',
      // The path is not echoed: an answer never repeats what the client sent.
      request.url.startsWith('/api/') ? 'There is no such API route.' : 'There is no page at this address.',
      page,
    );
  });

  registerSecurityHeaders(app);
  registerHealthRoute(app, deps);
  registerStartPage(app, deps);
  registerAssets(app);
  registerConsoleAuth(app, deps);
  registerConsoleDashboard(app, deps);
  registerConsoleSettings(app, deps);
  await registerConsoleLogo(app, deps);
  registerConsoleKeys(app, deps);
  registerConsoleLists(app, deps);
  registerConsoleList(app, deps);
  registerConsolePeople(app, deps);
  registerConsoleCampaigns(app, deps);
  registerConsoleCampaignEditor(app, deps);
  await registerConsoleImport(app, deps);
  registerConsoleActivity(app, deps);
  registerConsoleFeedback(app, deps);
  registerConsoleReputation(app, deps);
  registerConsoleAudit(app, deps);
  const signupLimit = createSignupLimit(app, () => deps.config.signupRateLimit);
  registerSignupFormRoutes(app, deps, signupLimit);
  registerBrandAssetRoutes(app, deps);
  await registerSignupApiRoute(app, deps, signupLimit);
  registerConfirmRoutes(app, deps);
  await registerOptOutRoutes(app, deps);
  registerTrackingRoutes(app, deps);
  await registerAdminRoutes(app, deps);
  await registerShopRoutes(app, deps);
  return app;
}

function friendlyFrameworkMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'This content type is not accepted here; send application/json or a form.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty; send a JSON object.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The Content-Length header does not match the body.';
    default:
      // Framework messages can quote the request; the answer says what was wrong in our words.
      return /JSON/.test(error.message) ? 'The request body is not valid JSON.' : 'The request could not be read.';
  }
}

/** Our sentences on visitors' pages that have a translation (the others get the status's). */
const PUBLIC_ERROR_KEYS: Readonly<Record<string, string>> = {
  'The address of this page is too long.': 'error.too_long',
  'The address of this page is not valid.': 'error.bad_address',
  'There is no such list.': 'error.no_list',
};

async function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: HttpDeps,
  status: number,
  code: string,
  message: string,
  page = request.routeOptions.config?.page === true,
): Promise<FastifyReply> {
  reply.code(status);
  // Every page but the console's, the sign-in's and the start page is a visitor's.
  if (page && request.url !== '/' && !/^\/(?:console|login|logout|setup|assets|api)(?:[/?]|$)/.test(request.url)) {
    // A visitor's page (signup, confirm, unsubscribe, preferences, data): the shop's brand, the
    // browser's language, and our sentence for what went wrong (the domain's is in English).
    const ctx = await deps.publicPages.context(request, undefined).catch(() => undefined);
    if (!ctx) return reply.type('text/plain; charset=utf-8').send(message);
    const key =
      PUBLIC_ERROR_KEYS[message] ??
      (status === 404
        ? 'error.not_found'
        : status === 429
          ? 'error.too_many'
          : status >= 500
            ? 'error.server'
            : 'error.bad_form');
    return deps.publicPages.send(reply, status, 'error', ctx, { key: 'error.title' }, { message: ctx.t(key) });
  }
  if (page) {
    const html = await deps.pages.render('error', {
      title: status === 404 ? 'Not found' : 'Something went wrong',
      heading:
        status === 429
          ? 'Please slow down'
          : status === 404
            ? 'Not found'
            : status >= 500
              ? 'Something went wrong'
              : 'That did not work',
      message,
    });
    return reply.type('text/html; charset=utf-8').send(html);
  }
  return reply.type('application/json; charset=utf-8').send({ error: code, message });
}
