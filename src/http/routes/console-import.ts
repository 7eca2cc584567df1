import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionView } from '../../accounts/accounts.service.js';
import { KNOWN_COLUMNS, MAX_UPLOAD_BYTES, type ImportJobView } from '../../consent/import-jobs.js';
import { AppError, isAppError } from '../../shared/app-error.js';
import type { HttpDeps } from '../deps.js';
import { createLiveProgress, EVENT_STREAM_HEADERS, endWithSession, sseEvent } from '../live-progress.js';
import { field, refuseForeignForm, renderConsole, requireRole, SESSION_COOKIE } from './console-auth.js';

/** The mapping a column gets before anyone chooses: its own name when we know it, else an attribute. */
function guess(header: string): string {
  const name = header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (['email', 'e_mail', 'mail', 'email_address', 'e_mail_address'].includes(name)) return 'email';
  if (['name', 'full_name', 'first_name', 'firstname'].includes(name)) return 'name';
  if ((KNOWN_COLUMNS as readonly string[]).includes(name)) return name;
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : '';
}

const progressOf = (job: ImportJobView) => ({
  ...job,
  percent: job.bytes > 0 ? Math.min(100, Math.round((job.bytesRead / job.bytes) * 100)) : 0,
});

/**
 * Import in the browser: upload a CSV (multipart, streamed to disk), map its columns, choose
 * with-proof, follow the progress live, download the bad lines.
 */
export async function registerConsoleImport(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const live = createLiveProgress({
    logger: deps.logger,
    render: async (id) => {
      const job = deps.imports.get(id);
      return {
        html: await deps.pages.render('console-import-progress', { job: progressOf(job) }),
        moving: job.state === 'running',
      };
    },
  });
  app.addHook('onClose', async () => live.close());
  const page = (request: FastifyRequest, reply: FastifyReply, status: number, data: object) =>
    renderConsole(deps, request, reply, status, 'console-import', { title: 'Import · Listwarden', ...data });

  app.get(
    '/console/import',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      await deps.imports.sweep();
      return page(request, reply, 200, { step: 'upload', recent: deps.imports.recent() });
    },
  );

  // Multipart only here: the file streams to disk; the form's token is checked before the file is read.
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 5, fieldSize: 1000 } });
    scope.post(
      '/console/import',
      { config: { page: true }, preHandler: requireRole(deps, 'editor', { csrfInHandler: true }) },
      async (request, reply) => {
        if (!request.isMultipart())
          throw new AppError(
            'invalid_input',
            'Choose a CSV file to upload (the form sends it as multipart/form-data).',
          );
        let csrf: unknown;
        let job: ImportJobView | undefined;
        const refuse = async (message: string) => {
          if (job) await deps.imports.discard(job.id);
          return page(request, reply, 400, { step: 'upload', recent: deps.imports.recent(), error: message });
        };
        try {
          for await (const part of request.parts()) {
            if (part.type === 'field') {
              if (part.fieldname === '_csrf') csrf = part.value;
              continue;
            }
            refuseForeignForm(deps, request.session as SessionView, csrf);
            if (job || part.fieldname !== 'file') {
              part.file.resume(); // read and dropped
              return await refuse("Upload one CSV file, in the form's file field.");
            }
            job = await deps.imports.upload(part.file, part.filename);
          }
        } catch (error) {
          if (isAppError(error) && error.code === 'invalid_input') return refuse(error.message);
          if (isAppError(error)) throw error; // a foreign form: the 403 page
          // The multipart reader's own errors (no boundary, a cut body, too many parts): the request, not us.
          request.log.warn({ err: error }, 'an upload could not be read');
          return refuse('The upload could not be read as a form with one CSV file; choose the file again.');
        }
        if (!job) {
          refuseForeignForm(deps, request.session as SessionView, csrf);
          return page(request, reply, 400, {
            step: 'upload',
            recent: deps.imports.recent(),
            error: 'Choose a CSV file to upload.',
          });
        }
        request.activity = { action: 'import.upload', target: job.id, detail: { file: job.file, bytes: job.bytes } };
        return reply.redirect(`/console/import/${job.id}`, 303);
      },
    );
  });

  const jobPage = async (request: FastifyRequest, reply: FastifyReply, id: string, status = 200, error?: string) => {
    const job = deps.imports.get(id);
    return page(request, reply, status, {
      step: job.state === 'uploaded' ? 'map' : 'progress',
      job: progressOf(job),
      columns: job.header.map((name, i) => ({
        index: i,
        name,
        guess: guess(name),
        samples: job.sample.map((r) => r[i] ?? ''),
      })),
      lists: await deps.lists.names(),
      error,
    });
  };

  app.get<{ Params: { id: string } }>(
    '/console/import/:id',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    (request, reply) => jobPage(request, reply, request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/console/import/:id/start',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const job = deps.imports.get(request.params.id);
      try {
        await deps.imports.start(job.id, {
          list: field(request.body, 'list'),
          source: field(request.body, 'source'),
          withProof: field(request.body, 'with_proof') === 'yes',
          mapping: job.header.map((_h, i) => field(request.body, `column_${i}`)),
        });
        request.activity = {
          action: 'import.start',
          target: job.id,
          detail: { list: String(field(request.body, 'list')) },
        };
        return await reply.redirect(`/console/import/${job.id}`, 303);
      } catch (error) {
        if (!isAppError(error) || !['invalid_input', 'not_found', 'conflict'].includes(error.code)) throw error;
        return jobPage(request, reply, request.params.id, 400, error.message);
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/console/import/:id/live',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const job = deps.imports.get(request.params.id);
      reply.hijack();
      reply.raw.writeHead(200, EVENT_STREAM_HEADERS);
      const send = async () =>
        deps.pages.render('console-import-progress', { job: progressOf(deps.imports.get(job.id)) });
      if (job.state !== 'running')
        return reply.raw.end(sseEvent('progress', await send()) + sseEvent('done', 'finished'));
      const stop = live.watch(job.id, (html) => {
        if (html !== '') return void reply.raw.write(sseEvent('progress', html));
        // The last fragment (the report) and the end of the stream.
        void send().then((last) => reply.raw.end(sseEvent('progress', last) + sseEvent('done', 'finished')));
      });
      // A stream ends with its session: a sign-out elsewhere closes it within seconds.
      const token = request.cookies[SESSION_COOKIE];
      endWithSession(request.raw, reply.raw, async () => (await deps.accounts.session(token)) !== undefined, stop);
      return reply;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/console/import/:id/bad-lines.csv',
    { config: { page: true }, preHandler: requireRole(deps, 'editor') },
    async (request, reply) => {
      const stream = deps.imports.badLines(request.params.id);
      return reply
        .header('Content-Disposition', `attachment; filename="bad-lines-${request.params.id.slice(0, 8)}.csv"`)
        .header('Cache-Control', 'no-store')
        .type('text/csv; charset=utf-8')
        .send(stream);
    },
  );
}
