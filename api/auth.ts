// Bearer-token authentication (HS256 JWTs via jose) and role-based authorisation for every route.
// A route declares `auth: 'public'` or the lowest role it accepts; the onRequest hook installed here enforces it
// before the body is even parsed. Routes registered without an `auth` setting require admin (fail closed).
import type { FastifyInstance } from 'fastify';
import { InvalidTokenError, roleAtLeast, type Principal, type Role, type TokenIssuer } from '../security/tokens.ts';
import { ForbiddenError, UnauthorizedError } from './errors.ts';

export type Access = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; set by registerRoutes. Missing means admin only. */
    auth?: Access;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes. */
    principal: Principal | null;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Adds the onRequest hook that authenticates and authorises every matched route. */
export function installAuth(app: FastifyInstance, issuer: TokenIssuer): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.is404) return; // unknown routes get a plain 404
    const access: Access = request.routeOptions.config.auth ?? 'admin';
    if (access === 'public') return;
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedError('A bearer token is required (Authorization: Bearer <token>).', false);
    const principal = await issuer.verify(token).catch((error: unknown) => {
      throw error instanceof InvalidTokenError ? new UnauthorizedError(error.message, true) : error;
    });
    if (!roleAtLeast(principal.role, access)) throw new ForbiddenError(access);
    request.principal = principal;
  });
}
