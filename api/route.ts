// The route-definition layer: a route is data (method, URL, access, zod schemas, handler), so the same table
// registers the Fastify routes and generates the OpenAPI document. Params, query and body are validated with zod
// before the handler runs (every bad field is reported at once); the handler's result is checked against the
// response schema for its status, which also strips fields the schema does not declare.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Access } from './auth.ts';
import type { Principal } from '../security/tokens.ts';
import { UnprocessableError, type FieldIssue } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Response schema per HTTP status, e.g. `{ 200: Run }` or `{ 201: Run }` or `{ 204: z.undefined() }`. */
export type ResponseSchemas = { [status: number]: z.ZodType };

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type Returned<R extends ResponseSchemas> = { [K in keyof R]: R[K] extends z.ZodType ? z.input<R[K]> : never }[keyof R];

export interface RouteContext<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** The caller; null only on public routes. */
  principal: Principal | null;
  request: FastifyRequest;
  /** Set another status with `reply.code(n)` (it needs a response schema); return `reply` after sending it yourself. */
  reply: FastifyReply;
}

interface RouteFields {
  method: HttpMethod;
  /** Fastify path syntax: `/runs/:id`. */
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: Access;
  /** Defaults to `<method><Path>` in camel case, e.g. getRunsById. */
  operationId?: string;
  /** Media type of successful responses; default application/json. */
  contentType?: string;
  /** Largest accepted request body in bytes (Fastify default 1 MiB). */
  bodyLimit?: number;
}

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends ResponseSchemas>
  extends RouteFields {
  params?: P;
  /** Query strings arrive as text: use z.coerce.number() and the like for other types. */
  query?: Q;
  body?: B;
  response: R;
  handler(context: RouteContext<Parsed<P>, Parsed<Q>, Parsed<B>>): Promise<Returned<R> | FastifyReply> | Returned<R> | FastifyReply;
}

/** A route with its types erased, as stored in route tables. */
export interface RouteDefinition extends RouteFields {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: ResponseSchemas;
  handler(context: RouteContext): unknown;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends ResponseSchemas = ResponseSchemas,
>(spec: RouteSpec<P, Q, B, R>): RouteDefinition {
  return spec as unknown as RouteDefinition;
}

/** The status a route answers with unless the handler sets another: its lowest 2xx response, else 200. */
export function successStatus(route: RouteDefinition): number {
  const statuses = Object.keys(route.response).map(Number).filter((s) => s >= 200 && s < 300);
  return statuses.length > 0 ? Math.min(...statuses) : 200;
}

export const isJsonMediaType = (type: string): boolean => /^application\/([\w.+-]+\+)?json\b/i.test(type);

async function parsePart(part: string, schema: z.ZodType | undefined, value: unknown, issues: FieldIssue[]): Promise<unknown> {
  if (!schema) return undefined;
  const result = await schema.safeParseAsync(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) issues.push({ path: [part, ...issue.path.map(String)].join('.'), message: issue.message });
  return undefined;
}

async function parseInput(route: RouteDefinition, request: FastifyRequest) {
  const issues: FieldIssue[] = [];
  const params = await parsePart('params', route.params, request.params, issues);
  const query = await parsePart('query', route.query, request.query, issues);
  const body = await parsePart('body', route.body, request.body, issues);
  if (issues.length > 0) throw new UnprocessableError(issues);
  return { params, query, body };
}

/** A handler returned something its response schema rejects: a server bug, answered with a 500. */
export class ResponseValidationError extends Error {
  readonly issues: FieldIssue[];
  constructor(route: RouteDefinition, status: number, issues: FieldIssue[]) {
    super(`${route.method} ${route.url} returned an invalid ${status} response`);
    this.name = 'ResponseValidationError';
    this.issues = issues;
  }
}

async function checkResponse(route: RouteDefinition, status: number, result: unknown): Promise<unknown> {
  const schema = route.response[status];
  if (!schema) throw new ResponseValidationError(route, status, [{ path: '', message: `no response schema for status ${status}` }]);
  const parsed = await schema.safeParseAsync(result);
  if (parsed.success) return parsed.data;
  throw new ResponseValidationError(
    route,
    status,
    parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  );
}

export function registerRoutes(app: FastifyInstance, routes: readonly RouteDefinition[]): void {
  for (const route of routes) {
    const contentType = route.contentType ?? 'application/json; charset=utf-8';
    app.route({
      method: route.method,
      url: route.url,
      bodyLimit: route.bodyLimit,
      config: { auth: route.auth },
      handler: async (request, reply) => {
        const input = await parseInput(route, request);
        reply.code(successStatus(route)).type(contentType);
        const result = await route.handler({ ...input, principal: request.principal, request, reply });
        if (result === reply || reply.sent) return reply;
        const body = await checkResponse(route, reply.statusCode, result);
        if (body === undefined) return reply.send();
        const type = String(reply.getHeader('content-type') ?? contentType);
        return isJsonMediaType(type) && typeof body === 'string' ? reply.send(JSON.stringify(body)) : reply.send(body);
      },
    });
  }
}
