// API bearer tokens: HS256 JWTs (jose) carrying a subject and a role, issued by `opsflow token`, `opsflow up` and
// the tests, verified by the API's auth hook (api/auth.ts). Roles go from least to most privileged.
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/** A token that is missing its claims, badly signed or expired; the API answers it with 401. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Roles from least to most privileged. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

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
  /** Resolves the token's principal; rejects with InvalidTokenError when the token is invalid or expired. */
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
        if (!payload.sub || !isRole(payload.role)) throw new InvalidTokenError('The bearer token has no valid subject or role.');
        return { subject: payload.sub, role: payload.role };
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('The bearer token has expired.');
        throw new InvalidTokenError('The bearer token is invalid.');
      }
    },
  };
}
