// Liveness (/healthz: the process answers) and readiness (/readyz: PostgreSQL and Temporal answer).
// Failure details are logged, not returned: the public answer only names which dependency failed.
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { defineRoute, type RouteDefinition } from './route.ts';

export interface ReadinessChecks {
  database(): Promise<void>;
  temporal(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 5000;

const checkState = z.enum(['ok', 'failed']);
const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: checkState, temporal: checkState }),
    failed: z.array(z.enum(['database', 'temporal'])).describe('The dependencies that did not answer.'),
  })
  .meta({ id: 'Readiness' });

async function withTimeout(check: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  const checking = check();
  // A check that lost the race still settles later (a gRPC call rejects when its connection closes): that answer
  // is no longer wanted, and must not surface as an unhandled rejection.
  checking.catch(() => {});
  try {
    await Promise.race([checking, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runCheck(name: string, check: () => Promise<void>, log: FastifyBaseLogger): Promise<'ok' | 'failed'> {
  try {
    await withTimeout(check, CHECK_TIMEOUT_MS);
    return 'ok';
  } catch (error) {
    log.warn({ err: error, dependency: name }, 'readiness check failed');
    return 'failed';
  }
}

export function healthRoutes(readiness: ReadinessChecks): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness probe',
      tags: ['operations'],
      auth: 'public',
      response: { 200: z.object({ status: z.literal('ok') }) },
      handler: () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness probe',
      description: 'Answers 200 when PostgreSQL and Temporal both answer, else 503 naming the ones that failed.',
      tags: ['operations'],
      auth: 'public',
      response: { 200: readinessSchema, 503: readinessSchema },
      handler: async ({ request, reply }) => {
        const [database, temporal] = await Promise.all([
          runCheck('database', () => readiness.database(), request.log),
          runCheck('temporal', () => readiness.temporal(), request.log),
        ]);
        const failed = (['database', 'temporal'] as const).filter((name) => ({ database, temporal })[name] === 'failed');
        if (failed.length > 0) reply.code(503);
        return { status: failed.length > 0 ? ('not_ready' as const) : ('ready' as const), checks: { database, temporal }, failed };
      },
    }),
  ];
}
