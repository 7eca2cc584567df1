import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);
const here = (name: string) => new URL(`../../../assets/${name}`, import.meta.url);

/** The console's static files: a fixed set, read once at start; nothing else is served from disk. */
const FILES: Record<string, { file: URL | string; type: string }> = {
  'console.css': { file: here('console.css'), type: 'text/css; charset=utf-8' },
  'console.js': { file: here('console.js'), type: 'text/javascript; charset=utf-8' },
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'htmx-sse.js': { file: require.resolve('htmx-ext-sse/dist/sse.min.js'), type: 'text/javascript; charset=utf-8' },
};

/** `/assets/<name>`: served from our own origin (no CDN), with an ETag and a short cache. */
export function registerAssets(app: FastifyInstance): void {
  const loaded = new Map(
    Object.entries(FILES).map(([name, { file, type }]) => {
      const body = readFileSync(file);
      return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }];
    }),
  );
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = loaded.get(request.params.name);
    if (!asset) return reply.callNotFound();
    reply.header('ETag', asset.etag).header('Cache-Control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
}
