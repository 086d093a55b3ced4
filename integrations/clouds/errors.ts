// Typed failures of cloud adapters. Every provider maps its SDK's errors onto these, so activities and
// retry policies decide on `name` alone (contracts/failure-types.ts). Messages say what to do and never carry credentials.
import { CLOUD_FAILURES } from '../../contracts/failure-types.ts';
import { OutboundRefusedError } from '../outbound/policy.ts';

export interface CloudErrorContext {
  provider: string;
  /** The API operation that failed, e.g. DescribeInstances. */
  operation?: string;
  region?: string;
  /** The provider's own error code (AuthFailure, Throttling.User, ...). */
  providerCode?: string;
  requestId?: string;
  cause?: unknown;
}

export abstract class CloudError extends Error {
  abstract readonly code: string;
  readonly provider: string;
  readonly operation: string | undefined;
  readonly region: string | undefined;
  readonly providerCode: string | undefined;
  readonly requestId: string | undefined;

  constructor(summary: string, context: CloudErrorContext) {
    super(describe(summary, context), context.cause === undefined ? undefined : { cause: context.cause });
    this.provider = context.provider;
    this.operation = context.operation;
    this.region = context.region;
    this.providerCode = context.providerCode;
    this.requestId = context.requestId;
  }
}

function describe(summary: string, context: CloudErrorContext): string {
  const where = [
    context.operation ? `during ${context.operation}` : undefined,
    context.region ? `in ${context.region}` : undefined,
  ].filter(Boolean);
  const details = [
    context.providerCode ? `code ${context.providerCode}` : undefined,
    context.requestId ? `request id ${context.requestId}` : undefined,
  ].filter(Boolean);
  return `${context.provider}${where.length ? ` (${where.join(' ')})` : ''}: ${summary}${details.length ? ` [${details.join(', ')}]` : ''}`;
}

/** The credentials are wrong, expired, revoked or lack permission. Retrying will not help; fix the account. */
export class CloudAuthError extends CloudError {
  override readonly name = CLOUD_FAILURES.auth;
  readonly code = 'cloud_auth';
}

/** The provider asked us to slow down. Retry after `retryAfterMs`. */
export class CloudThrottledError extends CloudError {
  override readonly name = CLOUD_FAILURES.throttled;
  readonly code = 'cloud_throttled';
  readonly retryAfterMs: number;

  constructor(summary: string, context: CloudErrorContext & { retryAfterMs: number }) {
    super(`${summary}; retry after ${context.retryAfterMs} ms`, context);
    this.retryAfterMs = context.retryAfterMs;
  }
}

/** The region, resource or API does not exist for this account. */
export class CloudNotFoundError extends CloudError {
  override readonly name = CLOUD_FAILURES.notFound;
  readonly code = 'cloud_not_found';
}

/** The provider or the network failed in a way that may pass (5xx, timeouts, refused connections). */
export class CloudUnavailableError extends CloudError {
  override readonly name = CLOUD_FAILURES.unavailable;
  readonly code = 'cloud_unavailable';
}

/** The provider does not offer this resource type or operation. */
export class CloudUnsupportedError extends CloudError {
  override readonly name = CLOUD_FAILURES.unsupported;
  readonly code = 'cloud_unsupported';
}

/** The provider rejected the request itself (bad parameter, stale page token). */
export class CloudRequestError extends CloudError {
  override readonly name = CLOUD_FAILURES.request;
  readonly code = 'cloud_request_rejected';
}

/** The provider answered with something that is not the documented response (garbage, wrong shape). */
export class CloudResponseError extends CloudError {
  override readonly name = CLOUD_FAILURES.response;
  readonly code = 'cloud_bad_response';
}

/**
 * The documented list of a response, or a CloudResponseError: an SDK parses a proxy's HTML error page as an empty
 * answer, and a missing list is how that shows.
 */
export function requireResponseList<T>(list: T[] | undefined, field: string, cloud: string, context: CloudErrorContext): T[] {
  if (!Array.isArray(list)) {
    throw new CloudResponseError(`the ${context.operation} response has no ${field} list; the endpoint did not answer like ${cloud}`, context);
  }
  return list;
}

/**
 * The outbound policy refused the account's endpoint override (before the call, or when its name resolved to a
 * refused address): a request error, which no retry fixes; the account's endpoint or the policy has to change.
 */
export function outboundRefusal(error: unknown, context: CloudErrorContext): CloudRequestError | undefined {
  if (!(error instanceof OutboundRefusedError)) return undefined;
  return new CloudRequestError(`the endpoint is not called: ${error.message}`, context);
}

const PROVIDER_MESSAGE_CHARS = 200;

/**
 * A provider's own error message (the Message field of its error answer), bounded: an endpoint override may be
 * something other than the provider, and an error ends up in sync runs that every viewer reads.
 */
export function providerMessage(text: string): string {
  return text.length > PROVIDER_MESSAGE_CHARS ? `${text.slice(0, PROVIDER_MESSAGE_CHARS)}…` : text;
}

export function isCloudError(error: unknown): error is CloudError {
  return error instanceof CloudError;
}
