// The one place that turns errors into HTTP responses. Services throw their typed errors (not found 404,
// conflict 409, invalid input 422, a dependency refusing 503); the HTTP-only ones (bad JSON, wrong content type,
// invalid fields, missing token, too low a role) are defined here. Unexpected errors become a generic 500 and are
// logged, never echoed.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConflictError, DependencyUnavailableError, InvalidInputError, NotFoundError } from '../services/errors.ts';

export interface FieldIssue {
  /** Where the problem is, e.g. `body.name`, `query.limit`, `params.id`, `body.items.0.host`. */
  path: string;
  message: string;
}

/** Shape of every error response; used for the OpenAPI document too. */
export const errorBodySchema = z
  .object({
    error: z.string().describe('Machine-readable error code, e.g. not_found.'),
    message: z.string().describe('Human-readable explanation.'),
  })
  .meta({ id: 'Error' });

export const validationErrorBodySchema = z
  .object({
    error: z.literal('validation_failed'),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).describe('Every invalid field.'),
  })
  .meta({ id: 'ValidationError' });

/** Base of the errors this module knows how to answer with. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
  body(): Record<string, unknown> {
    return { error: this.code, message: this.message };
  }
}

/** 422 with one or more field issues. Handlers use `new UnprocessableError('body.name', 'already taken')`. */
export class UnprocessableError extends ApiError {
  readonly issues: FieldIssue[];
  constructor(field: string, message: string);
  constructor(issues: FieldIssue[]);
  constructor(fieldOrIssues: string | FieldIssue[], message?: string) {
    const issues = typeof fieldOrIssues === 'string' ? [{ path: fieldOrIssues, message: message ?? 'is invalid' }] : fieldOrIssues;
    super(422, 'validation_failed', issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.issues = issues;
  }
  override body(): Record<string, unknown> {
    return { error: this.code, message: this.message, issues: this.issues };
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message: string, invalidToken: boolean) {
    super(401, 'unauthorized', message, {
      'www-authenticate': invalidToken ? 'Bearer realm="opsflow", error="invalid_token"' : 'Bearer realm="opsflow"',
    });
  }
}

export class ForbiddenError extends ApiError {
  readonly requiredRole: string;
  constructor(requiredRole: string) {
    super(403, 'forbidden', `This operation requires role ${requiredRole} or higher.`);
    this.requiredRole = requiredRole;
  }
  override body(): Record<string, unknown> {
    return { error: this.code, message: this.message, requiredRole: this.requiredRole };
  }
}

interface Mapped {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const snake = (status: number) => (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');

function isFastifyClientError(error: FastifyError): boolean {
  const status = error.statusCode ?? 0;
  // Only Fastify's own errors (body parsing, URL decoding, ...) and its JSON parser's SyntaxError carry a trusted 4xx.
  return status >= 400 && status < 500 && (error.code?.startsWith('FST_') === true || error instanceof SyntaxError);
}

/** A service's error as the API answers it; invalid input names its field in the request body. */
function serviceError(error: unknown): ApiError | undefined {
  if (error instanceof NotFoundError) return new ApiError(404, 'not_found', error.message);
  if (error instanceof ConflictError) return new ApiError(409, 'conflict', error.message);
  if (error instanceof InvalidInputError) return new UnprocessableError(error.issues.map((issue) => ({ path: `body.${issue.path}`, message: issue.message })));
  if (error instanceof DependencyUnavailableError) return new ApiError(503, `${error.dependency}_unavailable`, error.message);
  return undefined;
}

export function mapError(thrown: unknown): Mapped {
  const error = serviceError(thrown) ?? thrown;
  if (error instanceof ApiError) return { status: error.status, body: error.body(), headers: error.headers };
  const e = error as FastifyError;
  if (e && typeof e === 'object' && isFastifyClientError(e)) {
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return { status: 400, body: { error: 'unsupported_media_type', message: 'Unsupported Content-Type; send application/json.' }, headers: {} };
    }
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || e instanceof SyntaxError) {
      return { status: 400, body: { error: 'malformed_json', message: 'The request body is not valid JSON.' }, headers: {} };
    }
    if (e.statusCode === 414) {
      // The router refuses a path parameter over its length limit before any route runs; say so without echoing it.
      return { status: 414, body: { error: 'uri_too_long', message: 'A path parameter is longer than the API accepts.' }, headers: {} };
    }
    const status = e.statusCode ?? 400;
    return { status, body: { error: snake(status), message: e.message }, headers: {} };
  }
  return { status: 500, body: { error: 'internal_error', message: 'Internal server error.' }, headers: {} };
}

/** For Fastify's `frameworkErrors` option: errors raised before routing (e.g. an undecodable URL) get the same shape. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = mapError(error);
  request.log.info({ status: mapped.status, error: mapped.body.error }, 'request rejected');
  void reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
}

/**
 * Installs the error handler and the 404 handler on the root instance (children inherit them), and makes the API
 * JSON-only: Fastify's text/plain parser is removed so any other content type is refused with a 400.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => {
    const mapped = mapError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: mapped.status, error: mapped.body.error }, 'request rejected');
    return reply.code(mapped.status).headers(mapped.headers).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${path}.` });
  });
}
