// Shared fixtures for the API tests: a test route table, fake readiness checks and a ready-made app.
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { loadConfig, type Config } from '../../config/env.ts';
import { buildApp, type AppDeps } from '../../api/app.ts';
import { createTokenIssuer, type Role, type TokenIssuer } from '../../security/tokens.ts';
import { UnprocessableError } from '../../api/errors.ts';
import { ConflictError, NotFoundError } from '../../services/errors.ts';
import { defineRoute, type RouteDefinition } from '../../api/route.ts';

export const SECRET = new TextEncoder().encode('test-secret-that-is-at-least-32-bytes-long');
export const issuer: TokenIssuer = createTokenIssuer(SECRET);

export const MISSING_ID = '00000000-0000-4000-8000-000000000000';

const widget = z.object({ id: z.string(), name: z.string(), replicas: z.number().int() }).meta({ id: 'TestWidget' });

export const testRoutes: RouteDefinition[] = [
  defineRoute({
    method: 'POST',
    url: '/test/widgets',
    summary: 'Create a test widget',
    tags: ['test'],
    auth: 'operator',
    body: z.object({ name: z.string().min(1), replicas: z.number().int().min(1), owner: z.email() }),
    response: { 201: widget },
    handler: ({ body }) => {
      if (body.name === 'taken') throw new ConflictError('A widget named taken exists.');
      if (body.name === 'reserved') throw new UnprocessableError('body.name', 'is reserved');
      // Extra fields are stripped by the response schema.
      return { id: 'w1', name: body.name, replicas: body.replicas, internalNote: 'not for clients' } as z.input<typeof widget>;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/test/widgets/:id',
    summary: 'Read a test widget',
    tags: ['test'],
    auth: 'viewer',
    params: z.object({ id: z.uuid() }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10), verbose: z.enum(['true', 'false']).optional() }),
    response: { 200: z.object({ id: z.string(), limit: z.number(), viewer: z.string() }) },
    handler: ({ params, query, principal }) => {
      if (params.id === MISSING_ID) throw new NotFoundError(`Widget ${params.id} not found.`);
      return { id: params.id, limit: query.limit, viewer: principal?.subject ?? '' };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/test/everything',
    summary: 'Admin-only test operation',
    tags: ['test'],
    auth: 'admin',
    response: { 204: z.undefined() },
    handler: () => undefined,
  }),
  defineRoute({
    method: 'POST',
    url: '/test/login',
    summary: 'Logs its body (for the redaction test)',
    tags: ['test'],
    auth: 'viewer',
    body: z.object({ user: z.string(), password: z.string(), credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }) }),
    response: { 200: z.object({ ok: z.boolean() }) },
    handler: ({ body, request }) => {
      request.log.info({ body }, 'login attempt');
      return { ok: true };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/test/boom',
    summary: 'Fails unexpectedly',
    tags: ['test'],
    auth: 'public',
    response: { 200: z.object({}) },
    handler: () => {
      throw new Error('database password hunter2 leaked in a message');
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/test/bad-response',
    summary: 'Returns data its schema rejects',
    tags: ['test'],
    auth: 'public',
    response: { 200: z.object({ count: z.number() }) },
    handler: () => ({ count: 'many' }) as unknown as { count: number },
  }),
];

export function appConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ OPSFLOW_LOG_LEVEL: 'silent' }), ...overrides };
}

export const okReadiness = { database: async () => {}, temporal: async () => {} };

export async function makeApp(overrides: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    config: appConfig(),
    auth: issuer,
    readiness: okReadiness,
    routes: testRoutes,
    metrics: { registry: new Registry() },
    ...overrides,
  });
  await app.ready();
  return app;
}

export async function bearer(role: Role, subject = `${role}-user`): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await issuer.issue({ subject, role })}` };
}
