import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../shared/app-error.js';

/**
 * One per-IP bucket for every signup route (the hosted form and the JSON API), so an address
 * cannot be flooded with confirmation mail by alternating between them.
 */
export function createSignupLimit(app: FastifyInstance, limit: () => { max: number; windowMs: number }) {
  // Read per request: a changed signup_rate_limit setting counts without a restart.
  const check = app.createRateLimit({ max: () => limit().max, timeWindow: () => limit().windowMs });
  return async function signupLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await check(request);
    if (result.isAllowed || !result.isExceeded) return;
    reply.header('Retry-After', String(result.ttlInSeconds));
    const wait =
      result.ttlInSeconds > 90 ? `${Math.ceil(result.ttlInSeconds / 60)} minutes` : `${result.ttlInSeconds} seconds`;
    throw new AppError('rate_limited', `Too many requests from your address. Please try again in ${wait}.`);
  };
}

export type SignupLimit = ReturnType<typeof createSignupLimit>;
