// BlueKing CMDB client: resource_watch (the change-event long poll) and the re-list APIs used for a full resync,
// over the three ways CMDB is reached (native apiserver, legacy ESB, API gateway). Knows nothing of Temporal.
import { z } from 'zod';
import {
  CMDB_ERROR_CODES,
  CmdbApiError,
  CmdbAuthError,
  CmdbCursorExpiredError,
  CmdbInvalidResponseError,
  CmdbOutboundRefusedError,
  CmdbPermissionError,
  CmdbStartFromOutOfRangeError,
  CmdbUnavailableError,
} from './errors.ts';
import {
  OutboundRedirectRefusedError,
  OutboundRefusedError,
  OutboundTimeoutError,
  outboundFetch,
  type OutboundPolicy,
} from '../outbound/policy.ts';
import { maskUrl } from '../outbound/masked-url.ts';
import type { CmdbApiErrorDetails, CmdbOperation } from './errors.ts';
import {
  CMDB_EVENT_TYPES,
  cmdbBusinessSchema,
  cmdbHostRelationSchema,
  cmdbHostSchema,
  cmdbModuleSchema,
  cmdbPermissionSchema,
  cmdbSetSchema,
} from './types.ts';
import type {
  CmdbBusiness,
  CmdbEventType,
  CmdbHost,
  CmdbHostRelation,
  CmdbModule,
  CmdbPage,
  CmdbPageRequest,
  CmdbSet,
  CmdbWatchEvent,
  FindHostTopoRelationQuery,
  ListBizHostsQuery,
  ResourceWatchRequest,
  ResourceWatchResult,
  SearchBusinessQuery,
  SearchModuleQuery,
  SearchSetQuery,
} from './types.ts';

/** How opsflow reaches CMDB. The app secret only ever travels in the body (ESB) or the auth header (gateway). */
export type CmdbAccess =
  | { style: 'native'; username: string }
  | { style: 'esb'; appCode: string; appSecret: string; username: string }
  | { style: 'apigw'; appCode: string; appSecret: string; username: string; stage?: string };

export interface CmdbClientOptions {
  /** apiserver root (native), PaaS root (ESB) or BK_API_URL (gateway), e.g. `http://bkapi.example.com`. */
  baseUrl: string;
  access: CmdbAccess;
  /** Tenant of a pre-tenant CMDB; the gateway always injects "0". */
  supplierAccount?: string;
  /** Every call goes through this policy: refused addresses are never dialled, redirects never followed. */
  outbound: OutboundPolicy;
  /** Client-side limit for one watch call that may long-poll (a cursor or a start time). */
  watchTimeoutMs?: number;
  /** Client-side limit for every other call: the re-lists and the from-now bookmark, which CMDB answers at once. */
  requestTimeoutMs?: number;
}

export interface CmdbCallOptions {
  /** Aborting rejects with the signal's reason (not a CMDB error), so a cancelled activity stops promptly. */
  signal?: AbortSignal;
}

export interface CmdbPagingOptions extends CmdbCallOptions {
  pageSize?: number;
  /** Offset to resume from, e.g. the `start` of the last page a retried activity heartbeated. */
  startAt?: number;
  sort?: string;
}

/**
 * CMDB holds a watch ~20 s and the gateway cuts at 30 s, so a long poll must be allowed more than both. This is the
 * one call longer than its activity's heartbeat timeout (cmdbLongPoll, 10 s): the watch activities heartbeat every
 * 3 s while it is outstanding, and an attempt that outlives a heartbeat timeout cannot store its batch twice (the
 * store compares the cursor it started from).
 */
export const DEFAULT_WATCH_TIMEOUT_MS = 35_000;
/**
 * Below the heartbeat timeout of cmdbRelist (30 s), the profile of the re-list that makes these calls: a call never
 * outlives an attempt Temporal has already given up on and retried elsewhere.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 25_000;

// Documented page limits: 200 for the topology searches, 500 for list_biz_hosts (the code accepts 1000).
const TOPOLOGY_PAGE_SIZE = 200;
const HOST_PAGE_SIZE = 500;

const cmdbCode = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);

// Native CMDB says bk_error_code/bk_error_msg; the gateway and ESB rename them code/message.
const envelopeSchema = z.object({
  result: z.boolean(),
  code: cmdbCode.optional(),
  bk_error_code: cmdbCode.optional(),
  message: z.string().nullish(),
  bk_error_msg: z.string().nullish(),
  permission: z.unknown().optional(),
  request_id: z.string().nullish(),
  data: z.unknown(),
});

const watchDataSchema = z.object({
  bk_watched: z.boolean(),
  bk_events: z
    .array(
      z.object({
        bk_cursor: z.string().min(1),
        bk_resource: z.string(),
        bk_event_type: z.string(),
        bk_detail: z.record(z.string(), z.unknown()).nullable(),
      }),
    )
    .min(1, 'bk_events must hold at least one element (an event, or the no-event placeholder with its cursor)'),
});

function listDataSchema<T>(item: z.ZodType<T>) {
  return z.object({
    count: z.number().int().nonnegative(),
    info: z.array(item).nullish().transform((items) => items ?? []),
  });
}

const topoRelationDataSchema = z.object({
  count: z.number().int().nonnegative(),
  data: z.array(cmdbHostRelationSchema).nullish().transform((items) => items ?? []),
});

/** What a failed call was about, so the error can say which cursor or start time to drop. */
interface CallContext {
  watch?: ResourceWatchRequest;
}

interface CmdbCall<T> {
  operation: CmdbOperation;
  /** Path on the apiserver, also used under the gateway's /api/bk-cmdb/{stage} prefix. */
  nativePath: string;
  body: Record<string, unknown>;
  /** ESB has no path parameters: they travel in the body. */
  esbPathParams: Record<string, unknown>;
  data: z.ZodType<T>;
  timeoutMs: number;
  context: CallContext;
}

export class CmdbClient {
  readonly #baseUrl: string;
  readonly #access: CmdbAccess;
  readonly #supplierAccount: string;
  readonly #outbound: OutboundPolicy;
  readonly #watchTimeoutMs: number;
  readonly #requestTimeoutMs: number;

  constructor(options: CmdbClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#access = options.access;
    this.#supplierAccount = options.supplierAccount ?? '0';
    this.#outbound = options.outbound;
    this.#watchTimeoutMs = options.watchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * One resource_watch call. With bk_cursor CMDB long-polls until an event exists; with neither cursor nor
   * start time it answers at once with the newest stored event (a real event, not a bookmark).
   */
  async resourceWatch(request: ResourceWatchRequest, options: CmdbCallOptions = {}): Promise<ResourceWatchResult> {
    if (request.bk_cursor && request.bk_start_from) {
      throw new RangeError('resource_watch takes bk_cursor or bk_start_from, not both (CMDB rejects the pair)');
    }
    const body: Record<string, unknown> = { bk_resource: request.bk_resource };
    if (request.bk_cursor) body.bk_cursor = request.bk_cursor;
    if (request.bk_start_from) body.bk_start_from = request.bk_start_from;
    if (request.bk_event_types?.length) body.bk_event_types = request.bk_event_types;
    if (request.bk_fields?.length) body.bk_fields = request.bk_fields;
    if (request.bk_filter) body.bk_filter = request.bk_filter;

    const { data, url, httpStatus, contentType } = await this.#call({
      operation: 'resource_watch',
      nativePath: `/api/v3/event/watch/resource/${encodeURIComponent(request.bk_resource)}`,
      body,
      esbPathParams: { bk_supplier_account: this.#supplierAccount },
      data: watchDataSchema,
      timeoutMs: request.bk_cursor || request.bk_start_from ? this.#watchTimeoutMs : this.#requestTimeoutMs,
      context: { watch: request },
    }, options.signal);
    const invalid = (problem: string) => new CmdbInvalidResponseError('resource_watch', url, httpStatus, problem, contentType);

    if (!data.bk_watched) {
      // The no-event placeholder: only its cursor matters (the chain tail, the caller's own cursor or NoEventCursor).
      const placeholder = data.bk_events[data.bk_events.length - 1];
      return { watched: false, events: [], cursor: placeholder?.bk_cursor ?? '' };
    }
    const events: CmdbWatchEvent[] = data.bk_events.map((event, index) => {
      if (event.bk_resource !== request.bk_resource) {
        throw invalid(`bk_events[${index}].bk_resource is not ${request.bk_resource}, the resource watched`);
      }
      if (!isEventType(event.bk_event_type)) {
        throw invalid(`bk_events[${index}].bk_event_type is not create, update or delete`);
      }
      if (event.bk_detail === null) throw invalid(`bk_events[${index}].bk_detail is null in a watched answer`);
      return {
        bk_cursor: event.bk_cursor,
        bk_resource: request.bk_resource,
        bk_event_type: event.bk_event_type,
        bk_detail: event.bk_detail,
      };
    });
    const last = events[events.length - 1];
    return { watched: true, events, cursor: last?.bk_cursor ?? '' };
  }

  async searchBusiness(query: SearchBusinessQuery, options: CmdbCallOptions = {}): Promise<CmdbPage<CmdbBusiness>> {
    const { data } = await this.#call({
      operation: 'search_business',
      nativePath: `/api/v3/biz/search/${encodeURIComponent(this.#supplierAccount)}`,
      body: withoutUndefined({ fields: withIdField(query.fields, 'bk_biz_id'), condition: query.condition, page: query.page }),
      esbPathParams: { bk_supplier_account: this.#supplierAccount },
      data: listDataSchema(cmdbBusinessSchema),
      timeoutMs: this.#requestTimeoutMs,
      context: {},
    }, options.signal);
    return { count: data.count, start: query.page.start, items: data.info };
  }

  async searchSet(query: SearchSetQuery, options: CmdbCallOptions = {}): Promise<CmdbPage<CmdbSet>> {
    const { data } = await this.#call({
      operation: 'search_set',
      nativePath: `/api/v3/set/search/${encodeURIComponent(this.#supplierAccount)}/${query.bk_biz_id}`,
      body: withoutUndefined({ fields: withIdField(query.fields, 'bk_set_id'), condition: query.condition, page: query.page }),
      esbPathParams: { bk_supplier_account: this.#supplierAccount, bk_biz_id: query.bk_biz_id },
      data: listDataSchema(cmdbSetSchema),
      timeoutMs: this.#requestTimeoutMs,
      context: {},
    }, options.signal);
    return { count: data.count, start: query.page.start, items: data.info };
  }

  async searchModule(query: SearchModuleQuery, options: CmdbCallOptions = {}): Promise<CmdbPage<CmdbModule>> {
    const setId = query.bk_set_id ?? 0;
    const { data } = await this.#call({
      operation: 'search_module',
      nativePath: `/api/v3/module/search/${encodeURIComponent(this.#supplierAccount)}/${query.bk_biz_id}/${setId}`,
      body: withoutUndefined({ fields: withIdField(query.fields, 'bk_module_id'), condition: query.condition, page: query.page }),
      esbPathParams: { bk_supplier_account: this.#supplierAccount, bk_biz_id: query.bk_biz_id, bk_set_id: setId },
      data: listDataSchema(cmdbModuleSchema),
      timeoutMs: this.#requestTimeoutMs,
      context: {},
    }, options.signal);
    return { count: data.count, start: query.page.start, items: data.info };
  }

  async listBizHosts(query: ListBizHostsQuery, options: CmdbCallOptions = {}): Promise<CmdbPage<CmdbHost>> {
    const { data } = await this.#call({
      operation: 'list_biz_hosts',
      nativePath: `/api/v3/hosts/app/${query.bk_biz_id}/list_hosts`,
      body: withoutUndefined({
        bk_set_ids: query.bk_set_ids,
        bk_module_ids: query.bk_module_ids,
        fields: query.fields && withIdField(query.fields, 'bk_host_id'),
        page: query.page,
      }),
      esbPathParams: { bk_supplier_account: this.#supplierAccount, bk_biz_id: query.bk_biz_id },
      data: listDataSchema(cmdbHostSchema),
      timeoutMs: this.#requestTimeoutMs,
      context: {},
    }, options.signal);
    return { count: data.count, start: query.page.start, items: data.info };
  }

  async findHostTopoRelation(
    query: FindHostTopoRelationQuery,
    options: CmdbCallOptions = {},
  ): Promise<CmdbPage<CmdbHostRelation>> {
    const { data } = await this.#call({
      operation: 'find_host_topo_relation',
      nativePath: '/api/v3/host/topo/relation/read',
      body: withoutUndefined({
        bk_biz_id: query.bk_biz_id,
        bk_set_ids: query.bk_set_ids,
        bk_module_ids: query.bk_module_ids,
        bk_host_ids: query.bk_host_ids,
        page: query.page,
      }),
      esbPathParams: { bk_supplier_account: this.#supplierAccount },
      data: topoRelationDataSchema,
      timeoutMs: this.#requestTimeoutMs,
      context: {},
    }, options.signal);
    return { count: data.count, start: query.page.start, items: data.data };
  }

  /** Every business, page by page (sorted by id so pages do not shift while CMDB is unchanged). */
  searchBusinessPages(query: Omit<SearchBusinessQuery, 'page'> = {}, options: CmdbPagingOptions = {}) {
    return pageThrough(options, TOPOLOGY_PAGE_SIZE, 'bk_biz_id', (page) => this.searchBusiness({ ...query, page }, options));
  }

  searchSetPages(query: Omit<SearchSetQuery, 'page'>, options: CmdbPagingOptions = {}) {
    return pageThrough(options, TOPOLOGY_PAGE_SIZE, 'bk_set_id', (page) => this.searchSet({ ...query, page }, options));
  }

  searchModulePages(query: Omit<SearchModuleQuery, 'page'>, options: CmdbPagingOptions = {}) {
    return pageThrough(options, TOPOLOGY_PAGE_SIZE, 'bk_module_id', (page) => this.searchModule({ ...query, page }, options));
  }

  listBizHostsPages(query: Omit<ListBizHostsQuery, 'page'>, options: CmdbPagingOptions = {}) {
    return pageThrough(options, HOST_PAGE_SIZE, 'bk_host_id', (page) => this.listBizHosts({ ...query, page }, options));
  }

  findHostTopoRelationPages(query: Omit<FindHostTopoRelationQuery, 'page'>, options: CmdbPagingOptions = {}) {
    return pageThrough(options, TOPOLOGY_PAGE_SIZE, undefined, (page) => this.findHostTopoRelation({ ...query, page }, options));
  }

  async #call<T>(
    call: CmdbCall<T>,
    signal?: AbortSignal,
  ): Promise<{ data: T; url: string; httpStatus: number; contentType: string }> {
    const { url: target, init } = this.#buildRequest(call);
    // Errors name the address without its userinfo or query values: they end up in the watcher's status.
    const url = maskUrl(target);
    const transportFailure = (error: unknown): Error => {
      if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
      if (error instanceof OutboundRefusedError || error instanceof OutboundRedirectRefusedError) {
        return new CmdbOutboundRefusedError(call.operation, url, error.message);
      }
      if (error instanceof OutboundTimeoutError || (error instanceof Error && error.name === 'AbortError')) {
        return new CmdbUnavailableError(call.operation, url, `no answer within ${call.timeoutMs} ms`, undefined, { cause: error });
      }
      return new CmdbUnavailableError(call.operation, url, describeTransportError(error), undefined, { cause: error });
    };

    let response: Response;
    let bodyText: string;
    try {
      response = await outboundFetch(this.#outbound, target, { ...init, timeoutMs: call.timeoutMs, signal });
      bodyText = await response.text();
    } catch (error) {
      throw transportFailure(error);
    }
    const httpStatus = response.status;
    // Only the status and the content type describe an answer that is not CMDB's: its body may be anything the
    // address serves, and the error ends up where every viewer of the source can read it.
    const contentType = response.headers.get('content-type')?.split(';')[0]?.trim() || 'no content type';
    // A gateway or load balancer in trouble answers 5xx/429 with its own page: that is "try later", not a contract break.
    const overloaded = httpStatus >= 500 || httpStatus === 429;

    let json: unknown;
    try {
      json = JSON.parse(bodyText);
    } catch {
      if (overloaded) throw new CmdbUnavailableError(call.operation, url, `HTTP ${httpStatus} with a non-JSON body`, httpStatus);
      if (httpStatus === 401) throw new CmdbAuthError(this.#details(call.operation, httpStatus, httpStatus, 'HTTP 401 Unauthorized', response, undefined));
      throw new CmdbInvalidResponseError(call.operation, url, httpStatus, 'the body is not JSON', contentType);
    }

    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      if (overloaded) throw new CmdbUnavailableError(call.operation, url, `HTTP ${httpStatus} without a CMDB answer`, httpStatus);
      throw new CmdbInvalidResponseError(call.operation, url, httpStatus, summarizeIssues(envelope.error), contentType);
    }
    const answer = envelope.data;
    const code = answer.code ?? answer.bk_error_code ?? (answer.result ? 0 : -1);
    if (!answer.result || code !== 0) {
      const message = answer.message || answer.bk_error_msg || '(no message)';
      throw this.#apiError(call, this.#details(call.operation, code, httpStatus, message, response, answer.request_id), answer.permission);
    }

    const data = call.data.safeParse(answer.data);
    if (!data.success) {
      throw new CmdbInvalidResponseError(call.operation, url, httpStatus, summarizeIssues(data.error, 'data'), contentType);
    }
    return { data: data.data, url, httpStatus, contentType };
  }

  #buildRequest<T>(call: CmdbCall<T>): { url: string; init: { method: string; headers: Record<string, string>; body: string } } {
    const access = this.#access;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    switch (access.style) {
      case 'native':
        headers.BK_User = access.username;
        headers.HTTP_BLUEKING_SUPPLIER_ACCOUNT = this.#supplierAccount;
        return { url: this.#baseUrl + call.nativePath, init: { method: 'POST', headers, body: JSON.stringify(call.body) } };
      case 'apigw':
        // The gateway has allow_auth_from_params: false, so credentials go in this header only.
        headers['X-Bkapi-Authorization'] = JSON.stringify({
          bk_app_code: access.appCode,
          bk_app_secret: access.appSecret,
          bk_username: access.username,
        });
        return {
          url: `${this.#baseUrl}/api/bk-cmdb/${encodeURIComponent(access.stage ?? 'prod')}${call.nativePath}`,
          init: { method: 'POST', headers, body: JSON.stringify(call.body) },
        };
      case 'esb': {
        const body = {
          ...call.esbPathParams,
          ...call.body,
          bk_app_code: access.appCode,
          bk_app_secret: access.appSecret,
          bk_username: access.username,
        };
        return {
          url: `${this.#baseUrl}/api/c/compapi/v2/cc/${call.operation}/`,
          init: { method: 'POST', headers, body: JSON.stringify(body) },
        };
      }
    }
  }

  #details(
    operation: CmdbOperation,
    code: number,
    httpStatus: number,
    cmdbMessage: string,
    response: Response,
    bodyRequestId: string | null | undefined,
  ): CmdbApiErrorDetails {
    // ESB puts the request id in the body, the gateway in X-Bkapi-Request-Id, the apiserver in Cc_Request_Id.
    const requestId =
      bodyRequestId || response.headers.get('x-bkapi-request-id') || response.headers.get('cc_request_id') || undefined;
    return { operation, code, httpStatus, cmdbMessage: this.#redact(cmdbMessage), requestId };
  }

  #apiError<T>(call: CmdbCall<T>, details: CmdbApiErrorDetails, permission: unknown): CmdbApiError {
    if (details.httpStatus === 401) return new CmdbAuthError(details);
    if (details.code === CMDB_ERROR_CODES.noPermission) {
      const parsed = cmdbPermissionSchema.safeParse(permission);
      return new CmdbPermissionError(details, parsed.success ? parsed.data : null);
    }
    const watch = call.context.watch;
    if (watch && details.code === CMDB_ERROR_CODES.eventChainNodeNotExist && watch.bk_cursor) {
      return new CmdbCursorExpiredError(details, watch.bk_resource, watch.bk_cursor);
    }
    if (watch && details.code === CMDB_ERROR_CODES.paramsInvalid && watch.bk_start_from) {
      return new CmdbStartFromOutOfRangeError(details, watch.bk_resource, watch.bk_start_from);
    }
    return new CmdbApiError(details);
  }

  /** A CMDB message that echoes the request (ESB carries the secret in the body) must not leak it into an error. */
  #redact(text: string): string {
    const access = this.#access;
    if (access.style === 'native' || access.appSecret === '') return text;
    return text.split(access.appSecret).join('[redacted]');
  }
}

function isEventType(value: string): value is CmdbEventType {
  return (CMDB_EVENT_TYPES as readonly string[]).includes(value);
}

/** A projection without the id would make the answer useless (and fail validation), so the id is always asked for. */
function withIdField(fields: string[] | undefined, idField: string): string[] {
  if (!fields?.length || fields.includes(idField)) return fields ?? [];
  return [idField, ...fields];
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Pages with start += limit until start >= count, as CMDB documents; stops early if a page comes back empty. */
async function* pageThrough<T>(
  options: CmdbPagingOptions,
  defaultPageSize: number,
  defaultSort: string | undefined,
  fetchPage: (page: CmdbPageRequest) => Promise<CmdbPage<T>>,
): AsyncGenerator<CmdbPage<T>, void, undefined> {
  const limit = options.pageSize ?? defaultPageSize;
  const sort = options.sort ?? defaultSort;
  for (let start = options.startAt ?? 0; ; start += limit) {
    const page = await fetchPage(sort === undefined ? { start, limit } : { start, limit, sort });
    if (page.items.length === 0) return;
    yield page;
    if (start + limit >= page.count) return;
  }
}

const ISSUES_SHOWN = 3;

/** The first few mismatches as `path: problem`; a page of 200 bad items should not make a 200-line error. */
function summarizeIssues(error: z.ZodError, root?: string): string {
  const described = error.issues.slice(0, ISSUES_SHOWN).map((issue) => {
    const path = [root, ...issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : String(key)))]
      .filter((part) => part !== undefined)
      .join('.')
      .replaceAll('.[', '[');
    return `${path || '(body)'}: ${issue.message}`;
  });
  const more = error.issues.length - ISSUES_SHOWN;
  return described.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

function describeTransportError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause && typeof cause === 'object') {
    const code = 'code' in cause ? String(cause.code) : undefined;
    const message = 'message' in cause ? String(cause.message) : undefined;
    if (code || message) return [code, message].filter(Boolean).join(': ');
  }
  return error.message;
}
