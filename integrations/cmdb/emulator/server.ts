// HTTP face of the CMDB emulator: resource_watch and the re-list APIs over native, ESB and API-gateway paths,
// with CMDB's envelopes, long poll, paging limits and error codes, so the client and the watch workflows run without a CMDB.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CmdbFault, validateWatchRequest } from './event-chain.ts';
import type { WatchOutcome, WatchRequest } from './event-chain.ts';
import { CmdbEmulatorState } from './state.ts';
import { CmdbChangeGenerator } from './change-generator.ts';
import { isCmdbWatchResource } from '../types.ts';
import type { CmdbDetail, CmdbPermission } from '../types.ts';

export interface CmdbEmulatorAuth {
  appCode: string;
  appSecret: string;
  username: string;
}

export interface CmdbEmulatorOptions {
  /** 0 or absent: an ephemeral port. */
  port?: number;
  host?: string;
  /** How long a cursor-mode watch is held when nothing is new (CMDB: ~20 s). */
  holdMs?: number;
  /** Retention window of the event chains (CMDB code: 6 h; docs: 3 h). */
  retentionSeconds?: number;
  maxEventsPerCall?: number;
  /** cache_service sleeps 500 ms before answering any watch error; tests may shorten it. */
  errorPacingMs?: number;
  clock?: () => number;
  auth: CmdbEmulatorAuth;
  /** Data and event chains to serve, e.g. those of an earlier emulator: a restarted CMDB keeps what it stored. */
  state?: CmdbEmulatorState;
}

export interface RunningCmdbEmulator {
  url: string;
  port: number;
  state: CmdbEmulatorState;
  /** Answers held watches with the placeholder, then stops listening. */
  close(): Promise<void>;
}

type AccessStyle = 'native' | 'esb' | 'apigw';

type Operation = 'resource_watch' | 'search_business' | 'search_set' | 'search_module' | 'list_biz_hosts' | 'find_host_topo_relation';

interface RoutedRequest {
  style: AccessStyle;
  operation: Operation;
  /** Path parameters (native and gateway); ESB sends the same names in the body. */
  params: Record<string, string>;
}

interface Answer {
  status: number;
  code: number;
  message: string;
  permission: CmdbPermission | null;
  data: unknown;
}

export const DEFAULT_HOLD_MS = 20_000;
export const DEFAULT_RETENTION_SECONDS = 6 * 60 * 60;

// Not a CMDB code: the gateway's own answer to bad app credentials. Callers should key on HTTP 401.
const AUTH_FAILURE_CODE = 1640001;
const JSON_UNMARSHAL_FAILED = 1199000;
const PAGE_LIMIT_EXCEEDED = 1199059;
const DEFAULT_PAGE_LIMIT = 20;
const MAX_BODY_BYTES = 1 << 20;

const NATIVE_ROUTES: Array<{ pattern: RegExp; operation: Operation; names: string[] }> = [
  { pattern: /^\/api\/v3\/event\/watch\/resource\/([^/]+)\/?$/, operation: 'resource_watch', names: ['bk_resource'] },
  { pattern: /^\/api\/v3\/biz\/search\/([^/]+)\/?$/, operation: 'search_business', names: ['bk_supplier_account'] },
  { pattern: /^\/api\/v3\/set\/search\/([^/]+)\/(\d+)\/?$/, operation: 'search_set', names: ['bk_supplier_account', 'bk_biz_id'] },
  {
    pattern: /^\/api\/v3\/module\/search\/([^/]+)\/(\d+)\/(\d+)\/?$/,
    operation: 'search_module',
    names: ['bk_supplier_account', 'bk_biz_id', 'bk_set_id'],
  },
  { pattern: /^\/api\/v3\/hosts\/app\/(\d+)\/list_hosts\/?$/, operation: 'list_biz_hosts', names: ['bk_biz_id'] },
  { pattern: /^\/api\/v3\/host\/topo\/relation\/read\/?$/, operation: 'find_host_topo_relation', names: [] },
];

const ESB_OPERATIONS = new Set<string>(NATIVE_ROUTES.map((route) => route.operation));

// Max page.limit per API: the topology searches document 200; the host APIs accept BKMaxPageSize = 1000 in code.
const PAGE_LIMITS: Record<Exclude<Operation, 'resource_watch'>, number> = {
  search_business: 200,
  search_set: 200,
  search_module: 200,
  list_biz_hosts: 1000,
  find_host_topo_relation: 1000,
};

// A body field of the wrong JSON type fails Go's unmarshal, hence 1199000 rather than a validation message.
const watchBodySchema = z.looseObject({
  bk_resource: z.string().optional(),
  bk_cursor: z.string().optional(),
  bk_start_from: z.number().int().optional(),
  bk_event_types: z.array(z.string()).nullish(),
  bk_fields: z.array(z.string()).nullish(),
  bk_filter: z.looseObject({ bk_sub_resource: z.string().optional() }).nullish(),
});

const idParam = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const listBodySchema = z.looseObject({
  bk_supplier_account: z.string().optional(),
  bk_biz_id: idParam.optional(),
  bk_set_id: idParam.optional(),
  fields: z.array(z.string()).nullish(),
  condition: z.record(z.string(), z.unknown()).nullish(),
  bk_set_ids: z.array(z.number().int()).nullish(),
  bk_module_ids: z.array(z.number().int()).nullish(),
  bk_host_ids: z.array(z.number().int()).nullish(),
  page: z
    .looseObject({ start: z.number().int().min(0).optional(), limit: z.number().int().min(0).optional(), sort: z.string().optional() })
    .optional(),
});
type ListBody = z.infer<typeof listBodySchema>;

export async function startCmdbEmulator(options: CmdbEmulatorOptions): Promise<RunningCmdbEmulator> {
  const state = options.state ?? new CmdbEmulatorState({
    retentionSeconds: options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS,
    maxEventsPerCall: options.maxEventsPerCall ?? 200,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
  const errorPacingMs = options.errorPacingMs ?? 500;
  const closing = new AbortController();

  const server = createServer((req, res) => {
    const disconnected = new AbortController();
    res.on('close', () => disconnected.abort());
    const signal = AbortSignal.any([closing.signal, disconnected.signal]);
    handleRequest(req, res, signal).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`emulator failure: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const requestId = randomUUID().replaceAll('-', '');
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    const routed = routeRequest(path);
    if (req.method !== 'POST' || !routed) {
      res.writeHead(req.method !== 'POST' && routed ? 405 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ result: false, code: 404, message: `no emulated CMDB API at ${req.method} ${path}`, data: null }));
      return;
    }
    // Once closing, answers end their connection so close() need not wait for idle keep-alive sockets.
    const reply = (answer: Answer) => writeAnswer(res, routed.style, requestId, answer, closing.signal.aborted);

    let body: unknown;
    try {
      const text = await readBody(req);
      body = JSON.parse(text === '' ? 'null' : text);
    } catch {
      reply(fault(new CmdbFault(JSON_UNMARSHAL_FAILED, 'Deserializing JSON data failed')));
      return;
    }
    const record: Record<string, unknown> = isRecord(body) ? body : {};
    const denial = checkCredentials(routed.style, req, record, options.auth);
    if (denial) {
      reply({ status: 401, code: AUTH_FAILURE_CODE, message: denial, permission: null, data: null });
      return;
    }
    if (!isRecord(body)) {
      reply(fault(new CmdbFault(JSON_UNMARSHAL_FAILED, 'Deserializing JSON data failed')));
      return;
    }

    if (routed.operation === 'resource_watch') {
      reply(await answerWatch(routed, body, signal));
      return;
    }
    const parsed = listBodySchema.safeParse(body);
    if (!parsed.success) {
      reply(fault(new CmdbFault(JSON_UNMARSHAL_FAILED, 'Deserializing JSON data failed')));
      return;
    }
    try {
      reply(success(answerListing(routed, parsed.data)));
    } catch (error) {
      if (error instanceof CmdbFault) reply(fault(error));
      else throw error;
    }
  }

  async function answerWatch(routed: RoutedRequest, body: Record<string, unknown>, signal: AbortSignal): Promise<Answer> {
    const parsed = watchBodySchema.safeParse(body);
    if (!parsed.success) return paced(new CmdbFault(JSON_UNMARSHAL_FAILED, 'Deserializing JSON data failed'), signal);
    // Native and gateway calls: the path segment wins over the body. ESB: only the body has it.
    const resourceName = routed.style === 'esb' ? (parsed.data.bk_resource ?? '') : (routed.params.bk_resource ?? '');
    if (isCmdbWatchResource(resourceName)) {
      const injected = state.takeWatchFault(resourceName);
      // The IAM denial comes from the apiserver filter, so it is not paced like cache_service errors.
      if (injected?.code === 9900403) return fault(injected);
      if (injected) return paced(injected, signal);
    }
    let outcome: WatchOutcome;
    try {
      const request = validateWatchRequest(resourceName, parsed.data);
      outcome = await holdForEvents(request, signal);
    } catch (error) {
      if (error instanceof CmdbFault) return paced(error, signal);
      throw error;
    }
    if (outcome.kind === 'events') return success({ bk_watched: true, bk_events: outcome.events });
    const cursor = outcome.kind === 'no-event' ? outcome.cursor : outcome.cursorOnTimeout;
    return success({
      bk_watched: false,
      bk_events: [{ bk_cursor: cursor, bk_resource: resourceName, bk_event_type: '', bk_detail: null }],
    });
  }

  /** Cursor mode only: re-read on each append to the resource until something matches or holdMs passes. */
  async function holdForEvents(request: WatchRequest, signal: AbortSignal): Promise<WatchOutcome> {
    let outcome = state.readWatch(request);
    // Wall-clock time, not the emulator's clock: a test that freezes the clock must not freeze the hold.
    const deadline = Date.now() + holdMs;
    while (outcome.kind === 'pending') {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal.aborted) return { kind: 'no-event', cursor: outcome.cursorOnTimeout };
      await waitForAppend(request, remaining, signal);
      outcome = state.readWatch(request);
    }
    return outcome;
  }

  function waitForAppend(request: WatchRequest, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', settle);
        resolve();
      };
      const timer = setTimeout(settle, ms);
      const unsubscribe = state.onEventAppended((resource) => {
        if (resource === request.resource) settle();
      });
      signal.addEventListener('abort', settle);
    });
  }

  async function paced(error: CmdbFault, signal: AbortSignal): Promise<Answer> {
    if (errorPacingMs > 0) await sleep(errorPacingMs, undefined, { signal }).catch(() => undefined);
    return fault(error);
  }

  function answerListing(routed: RoutedRequest, body: ListBody): unknown {
    const operation = routed.operation as Exclude<Operation, 'resource_watch'>;
    const param = (name: 'bk_biz_id' | 'bk_set_id'): number => {
      const fromPath = routed.params[name];
      return fromPath !== undefined ? Number(fromPath) : (body[name] ?? 0);
    };
    const start = body.page?.start ?? 0;
    const limit = body.page?.limit || DEFAULT_PAGE_LIMIT;
    if (limit > PAGE_LIMITS[operation]) throw new CmdbFault(PAGE_LIMIT_EXCEEDED, `page limit is exceeded, max ${PAGE_LIMITS[operation]}`);
    const sort = body.page?.sort ?? '';
    const fields = body.fields ?? [];
    const condition = body.condition ?? {};
    const snapshot = state.snapshot();
    const bizId = param('bk_biz_id');
    const inList = (list: number[] | null | undefined, value: number) => !list?.length || list.includes(value);

    switch (operation) {
      case 'search_business':
        return listPage(snapshot.businesses.filter((doc) => matchesCondition(doc, condition)), 'bk_biz_id', sort, start, limit, fields);
      case 'search_set':
        return listPage(
          snapshot.sets.filter((doc) => doc.bk_biz_id === bizId && matchesCondition(doc, condition)),
          'bk_set_id', sort, start, limit, fields,
        );
      case 'search_module': {
        const setId = param('bk_set_id');
        const modules = snapshot.modules.filter(
          (doc) => doc.bk_biz_id === bizId && (setId === 0 || doc.bk_set_id === setId) && matchesCondition(doc, condition),
        );
        return listPage(modules, 'bk_module_id', sort, start, limit, fields);
      }
      case 'list_biz_hosts': {
        const hostIds = new Set(
          snapshot.hostRelations
            .filter((row) => row.bk_biz_id === bizId && inList(body.bk_set_ids, row.bk_set_id) && inList(body.bk_module_ids, row.bk_module_id))
            .map((row) => row.bk_host_id),
        );
        return listPage(snapshot.hosts.filter((host) => hostIds.has(host.bk_host_id)), 'bk_host_id', sort, start, limit, fields);
      }
      case 'find_host_topo_relation': {
        const rows = snapshot.hostRelations.filter(
          (row) =>
            row.bk_biz_id === bizId &&
            inList(body.bk_set_ids, row.bk_set_id) &&
            inList(body.bk_module_ids, row.bk_module_id) &&
            inList(body.bk_host_ids, row.bk_host_id),
        );
        return { count: rows.length, page: { start, limit }, data: rows.slice(start, start + limit) };
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    state,
    async close() {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function routeRequest(path: string): RoutedRequest | undefined {
  const esb = /^\/api\/c\/compapi\/v2\/cc\/([a-z_]+)\/?$/.exec(path);
  if (esb) {
    const name = esb[1] ?? '';
    return ESB_OPERATIONS.has(name) ? { style: 'esb', operation: name as Operation, params: {} } : undefined;
  }
  const gateway = /^\/api\/bk-cmdb\/[^/]+(\/api\/v3\/.*)$/.exec(path);
  const nativePath = gateway ? (gateway[1] ?? '') : path;
  for (const route of NATIVE_ROUTES) {
    const match = route.pattern.exec(nativePath);
    if (!match) continue;
    const params = Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]));
    return { style: gateway ? 'apigw' : 'native', operation: route.operation, params };
  }
  return undefined;
}

/** The reason a caller is refused, or undefined. The secret is compared, never echoed. */
function checkCredentials(style: AccessStyle, req: IncomingMessage, body: Record<string, unknown>, auth: CmdbEmulatorAuth): string | undefined {
  switch (style) {
    case 'native':
      return headerValue(req, 'bk_user') ? undefined : 'the BK_User header is missing';
    case 'esb':
      if (body.bk_app_code !== auth.appCode || body.bk_app_secret !== auth.appSecret) return 'app code or app secret is not valid';
      return typeof body.bk_username === 'string' && body.bk_username !== '' ? undefined : 'bk_username is missing';
    case 'apigw': {
      const header = headerValue(req, 'x-bkapi-authorization');
      if (!header) return 'the X-Bkapi-Authorization header is missing';
      let credentials: unknown;
      try {
        credentials = JSON.parse(header);
      } catch {
        return 'the X-Bkapi-Authorization header is not JSON';
      }
      if (!isRecord(credentials) || credentials.bk_app_code !== auth.appCode || credentials.bk_app_secret !== auth.appSecret) {
        return 'app code or app secret is not valid';
      }
      return typeof credentials.bk_username === 'string' && credentials.bk_username !== '' ? undefined : 'bk_username is missing';
    }
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function success(data: unknown): Answer {
  return { status: 200, code: 0, message: 'success', permission: null, data };
}

/** Business errors are HTTP 200 with result false (RespAutoError writes no error status). */
function fault(error: CmdbFault): Answer {
  return { status: 200, code: error.code, message: error.message, permission: error.permission, data: null };
}

/** The envelope each access path uses: bk_error_* natively, code/message behind the gateway and ESB. */
function writeAnswer(res: ServerResponse, style: AccessStyle, requestId: string, answer: Answer, closeConnection: boolean): void {
  const result = answer.code === 0;
  let payload: Record<string, unknown>;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (closeConnection) headers.Connection = 'close';
  switch (style) {
    case 'native':
      payload = { result, bk_error_code: answer.code, bk_error_msg: answer.message, permission: answer.permission, data: answer.data };
      headers.Cc_Request_Id = requestId;
      break;
    case 'apigw':
      payload = { result, code: answer.code, message: answer.message, permission: answer.permission, data: answer.data };
      headers['X-Bkapi-Request-Id'] = requestId;
      break;
    case 'esb':
      payload = { result, code: answer.code, message: answer.message, permission: answer.permission, request_id: requestId, data: answer.data };
      break;
  }
  if (res.destroyed) return;
  res.writeHead(answer.status, headers);
  res.end(JSON.stringify(payload));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matchesCondition(doc: CmdbDetail, condition: Record<string, unknown>): boolean {
  return Object.entries(condition).every(([field, expected]) => doc[field] === expected);
}

/** Sorts (`field` or `-field`, the id by default), slices and projects like a mongo find with limit/skip. */
function listPage<T extends CmdbDetail>(
  docs: T[],
  idField: string,
  sort: string,
  start: number,
  limit: number,
  fields: string[],
): { count: number; info: CmdbDetail[] } {
  const descending = sort.startsWith('-');
  const field = (descending ? sort.slice(1) : sort) || idField;
  const sorted = [...docs].sort((a, b) => {
    const order = compareValues(a[field], b[field]) || compareValues(a[idField], b[idField]);
    return descending ? -order : order;
  });
  const page = sorted.slice(start, start + limit);
  const projected = fields.length === 0 ? page : page.map((doc) => Object.fromEntries(fields.filter((name) => Object.hasOwn(doc, name)).map((name) => [name, doc[name]])));
  return { count: docs.length, info: projected };
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

// Keyed by flag name so a refusal names the flag as typed.
const cliFlags = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  'hold-ms': z.coerce.number().int().min(0),
  'retention-seconds': z.coerce.number().int().min(1),
  'generate-every-ms': z.coerce.number().int().min(0),
  seed: z.coerce.number().int(),
  'app-code': z.string().min(1),
  'app-secret': z.string().min(1),
  username: z.string().min(1),
});

/**
 * `opsflow cmdb-emulator --port N [--hold-ms 20000] [--retention-seconds 21600] [--generate-every-ms 0]`:
 * starts the emulator, and with --generate-every-ms > 0 a change generator that keeps the topology moving.
 */
export async function runCmdbEmulatorFromArgs(argv: string[]): Promise<RunningCmdbEmulator> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string', default: '127.0.0.1' },
      'hold-ms': { type: 'string', default: String(DEFAULT_HOLD_MS) },
      'retention-seconds': { type: 'string', default: String(DEFAULT_RETENTION_SECONDS) },
      'generate-every-ms': { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      'app-code': { type: 'string', default: 'opsflow-demo' },
      'app-secret': { type: 'string', default: 'opsflow-demo-secret' },
      username: { type: 'string', default: 'admin' },
    },
  });
  const parsed = cliFlags.safeParse(values);
  if (!parsed.success) throw new Error(`cmdb-emulator: bad flags\n${z.prettifyError(parsed.error)}`);
  const flags = parsed.data;
  const emulator = await startCmdbEmulator({
    port: flags.port,
    host: flags.host,
    holdMs: flags['hold-ms'],
    retentionSeconds: flags['retention-seconds'],
    auth: { appCode: flags['app-code'], appSecret: flags['app-secret'], username: flags.username },
  });
  const generator = new CmdbChangeGenerator(emulator.state, { seed: flags.seed });
  if (flags['generate-every-ms'] > 0) generator.start(flags['generate-every-ms']);
  process.stdout.write(
    `CMDB emulator on ${emulator.url} (native /api/v3, ESB /api/c/compapi/v2/cc, gateway /api/bk-cmdb/prod), ` +
      `app code ${flags['app-code']}, hold ${flags['hold-ms']} ms, retention ${flags['retention-seconds']} s` +
      (flags['generate-every-ms'] > 0 ? `, a change every ${flags['generate-every-ms']} ms\n` : '\n'),
  );
  return {
    ...emulator,
    async close() {
      generator.stop();
      await emulator.close();
    },
  };
}
