// Typed failures of the CMDB client, one per way a caller must react: drop the cursor, pick another start
// time, ask for an IAM permission, fix credentials, retry later, or report a CMDB bug. Never carry the app secret.
import type { CmdbPermission, CmdbWatchResource } from './types.ts';
import { CMDB_FAILURES } from '../../contracts/failure-types.ts';

/** CMDB error codes the client tells apart (src/common/errInfo.go). */
export const CMDB_ERROR_CODES = {
  eventChainNodeNotExist: 1103007,
  eventDetailNotExist: 1103008,
  paramsInvalid: 1199006,
  jsonUnmarshalFailed: 1199000,
  unknownOrUnrecognized: 1199998,
  noPermission: 9900403,
} as const;

export type CmdbOperation =
  | 'resource_watch'
  | 'search_business'
  | 'search_set'
  | 'search_module'
  | 'list_biz_hosts'
  | 'find_host_topo_relation';

export class CmdbError extends Error {
  override name = 'CmdbError';
  readonly operation: CmdbOperation;

  constructor(operation: CmdbOperation, message: string, options?: ErrorOptions) {
    super(message, options);
    this.operation = operation;
  }
}

export interface CmdbApiErrorDetails {
  operation: CmdbOperation;
  code: number;
  cmdbMessage: string;
  requestId: string | undefined;
  httpStatus: number;
}

/** CMDB answered `result: false`. `code` and `requestId` are what CMDB operators ask for. */
export class CmdbApiError extends CmdbError {
  override name = 'CmdbApiError';
  readonly code: number;
  readonly cmdbMessage: string;
  readonly requestId: string | undefined;
  readonly httpStatus: number;

  constructor(details: CmdbApiErrorDetails, advice?: string) {
    const rid = details.requestId ? `, request id ${details.requestId}` : '';
    super(
      details.operation,
      `CMDB ${details.operation} failed with code ${details.code}: ${details.cmdbMessage}${rid}${advice ? `. ${advice}` : ''}`,
    );
    this.code = details.code;
    this.cmdbMessage = details.cmdbMessage;
    this.requestId = details.requestId;
    this.httpStatus = details.httpStatus;
  }
}

/**
 * 1103007: the cursor is not in the resource's event chain any more (older than the retention window), or
 * belongs to another resource or CMDB deployment. Retrying it never helps.
 */
export class CmdbCursorExpiredError extends CmdbApiError {
  override name = 'CmdbCursorExpiredError';
  readonly resource: CmdbWatchResource;
  readonly cursor: string;

  constructor(details: CmdbApiErrorDetails, resource: CmdbWatchResource, cursor: string) {
    super(
      details,
      `The ${resource} cursor is unknown to CMDB (expired or from another deployment): drop it and resume with ` +
        'bk_start_from inside the retention window, or re-list and watch from now',
    );
    this.resource = resource;
    this.cursor = cursor;
  }
}

/** 1199006 on a watch: bk_start_from is in the future or older than the retention window. */
export class CmdbStartFromOutOfRangeError extends CmdbApiError {
  override name = 'CmdbStartFromOutOfRangeError';
  readonly resource: CmdbWatchResource;
  readonly startFrom: number;

  constructor(details: CmdbApiErrorDetails, resource: CmdbWatchResource, startFrom: number) {
    super(
      details,
      `bk_start_from ${startFrom} (${new Date(startFrom * 1000).toISOString()}) for ${resource} is outside CMDB's ` +
        'retention window: re-list and watch from now instead',
    );
    this.resource = resource;
    this.startFrom = startFrom;
  }
}

/** 9900403: the app or user lacks an IAM action. `permission` is what to apply for in BlueKing IAM. */
export class CmdbPermissionError extends CmdbApiError {
  override name = CMDB_FAILURES.permission;
  readonly permission: CmdbPermission | null;
  /** IAM action ids to apply for, e.g. `watch_host_event`. */
  readonly actions: string[];

  constructor(details: CmdbApiErrorDetails, permission: CmdbPermission | null) {
    const actions = permission?.actions.map((action) => action.id) ?? [];
    super(
      details,
      actions.length > 0
        ? `Apply in BlueKing IAM (system ${permission?.system_id}) for: ${actions.join(', ')}`
        : 'Apply for the matching IAM permission in BlueKing IAM',
    );
    this.permission = permission;
    this.actions = actions;
  }
}

/** HTTP 401 from the gateway, ESB or CMDB: the app code, app secret or username is not accepted. */
export class CmdbAuthError extends CmdbApiError {
  override name = CMDB_FAILURES.auth;

  constructor(details: CmdbApiErrorDetails) {
    super(details, 'Check the app code, app secret and username configured for this CMDB source');
  }
}

/** CMDB could not be reached or gave no answer in time (network, DNS, 5xx without a CMDB body, timeout). */
export class CmdbUnavailableError extends CmdbError {
  override name = 'CmdbUnavailableError';
  readonly url: string;
  readonly httpStatus: number | undefined;

  constructor(operation: CmdbOperation, url: string, reason: string, httpStatus?: number, options?: ErrorOptions) {
    super(operation, `CMDB ${operation} at ${url} is unavailable: ${reason}`, options);
    this.url = url;
    this.httpStatus = httpStatus;
  }
}

/**
 * CMDB (or whatever serves the configured address) answered something that is not the documented shape. Nothing of
 * the body is kept: the address may serve anything, and this message is shown to every viewer of the source.
 */
export class CmdbInvalidResponseError extends CmdbError {
  override name = CMDB_FAILURES.invalidResponse;
  readonly url: string;
  readonly httpStatus: number;
  /** What did not match, in words (field paths, never values). */
  readonly problem: string;
  readonly contentType: string;

  constructor(operation: CmdbOperation, url: string, httpStatus: number, problem: string, contentType: string) {
    super(
      operation,
      `CMDB ${operation} at ${url} answered HTTP ${httpStatus} (${contentType}) with a body that is not a CMDB answer: ${problem}; is the base URL a CMDB of a supported version?`,
    );
    this.url = url;
    this.httpStatus = httpStatus;
    this.problem = problem;
    this.contentType = contentType;
  }
}

/** The outbound policy refused the address, or it answered a redirect; no retry helps until the configuration changes. */
export class CmdbOutboundRefusedError extends CmdbError {
  override name = CMDB_FAILURES.outboundRefused;
  readonly url: string;

  constructor(operation: CmdbOperation, url: string, refusal: string) {
    super(operation, `CMDB ${operation} at ${url} stopped by the outbound policy: ${refusal}`);
    this.url = url;
  }
}
