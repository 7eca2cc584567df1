import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.js';

/** Shop webhooks are small JSON documents; anything larger is refused before it is read. */
const MAX_SHOP_BODY_BYTES = 1024 * 1024;

/**
 * `POST /integrations/shopify` and `POST /integrations/woocommerce`: the shops' own webhooks.
 * The raw body is kept as bytes (the signature is over them), whatever the content type says.
 */
export async function registerShopRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_SHOP_BODY_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    const raw = (body: unknown) => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));
    scope.post('/integrations/shopify', async (request) => deps.shop.shopify(raw(request.body), request.headers));
    scope.post('/integrations/woocommerce', async (request) =>
      deps.shop.woocommerce(raw(request.body), request.headers, request.headers['content-type']),
    );
  });
}
