import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from '../deps.js';

const params = z.object({ id: z.string().regex(/^[0-9a-f]{32}\.(png|jpg|gif|webp)$/) });

/**
 * `/brand/<id>`: the brand's uploaded images, from our own origin (pages and mail link here). An id
 * is derived from the bytes, so an answer never changes and may be cached for a year. Images only:
 * the type was checked on upload; nosniff and a CSP without anything keep it an image.
 */
export function registerBrandAssetRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/brand/:id', async (request, reply) => {
    const parsed = params.safeParse(request.params);
    const asset = parsed.success ? await deps.brandAssets.get(parsed.data.id) : undefined;
    if (!asset) return reply.callNotFound();
    return reply
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .type(asset.contentType)
      .send(asset.bytes);
  });
}
