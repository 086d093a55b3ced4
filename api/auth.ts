// Bearer-token authentication (HS256 JWTs via jose) and role-based authorisation for every route.
// A route declares `auth: 'public'` or the lowest role it accepts; the onRequest hook installed here enforces it
// before the body is even parsed. Routes registered without an `auth` setting require admin (fail closed).
import type { FastifyInstance } from 'fastify';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ForbiddenError, UnauthorizedError } from './errors.ts';

/** Roles from least to most privileged. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export type Access = 'public' | Role;

export interface Principal {
  subject: string;
  role: Role;
}

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

export const roleAtLeast = (role: Role, required: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(required);

export interface IssueOptions {
  subject: string;
  role: Role;
  /** Seconds, or a jose time span such as '12h' or '30d'. Default '1h'. */
  expiresIn?: number | string;
}

export interface TokenIssuer {
  issue(options: IssueOptions): Promise<string>;
  /** Resolves the token's principal; rejects with UnauthorizedError when the token is invalid or expired. */
  verify(token: string): Promise<Principal>;
}

const ISSUER = 'opsflow';
const AUDIENCE = 'opsflow';

export function createTokenIssuer(secret: Uint8Array): TokenIssuer {
  if (secret.byteLength < 32) throw new Error('The JWT secret must be at least 32 bytes.');
  const key = new Uint8Array(secret);
  return {
    async issue({ subject, role, expiresIn = '1h' }) {
      if (!isRole(role)) throw new Error(`Unknown role: ${String(role)}`);
      const expiration = typeof expiresIn === 'number' ? Math.floor(Date.now() / 1000) + expiresIn : expiresIn;
      return new SignJWT({ role })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(subject)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(expiration)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] });
        if (!payload.sub || !isRole(payload.role)) throw new UnauthorizedError('The bearer token has no valid subject or role.', true);
        return { subject: payload.sub, role: payload.role };
      } catch (error) {
        if (error instanceof UnauthorizedError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('The bearer token has expired.', true);
        throw new UnauthorizedError('The bearer token is invalid.', true);
      }
    },
  };
}

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
    const principal = await issuer.verify(token);
    if (!roleAtLeast(principal.role, access)) throw new ForbiddenError(access);
    request.principal = principal;
  });
}
