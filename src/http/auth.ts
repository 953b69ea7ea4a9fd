import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RmmError } from '../manager/errors.ts';
import { isDashboardPublicPath } from './dashboard/dashboard-paths.ts';

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * onRequest hook enforcing `Authorization: Bearer <api_key>` on every route whose config does not say
 * `public: true` (only /healthz), except the dashboard's page and static assets, which hold no data and
 * which a browser cannot fetch with a header (the dashboard's event stream stays protected). Both sides are hashed first so timingSafeEqual compares equal lengths
 * and the comparison time says nothing about the key, not even its length.
 */
export function createAuthHook(apiKey: string) {
  const expected = digest(apiKey);
  return async function authHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.routeOptions.config.public || isDashboardPublicPath(request.url)) return;
    const token = bearerToken(request);
    if (token !== undefined && timingSafeEqual(digest(token), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="rmm"');
    throw new RmmError(
      'RMM_UNAUTHORIZED',
      token === undefined ? 'missing bearer token: send Authorization: Bearer <key>' : 'invalid bearer token',
    );
  };
}
