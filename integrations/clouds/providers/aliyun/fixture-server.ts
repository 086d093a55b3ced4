// A local stand-in for Alibaba Cloud's ECS, VPC and KVStore OpenAPI (no offline emulator exists). It checks
// both signing styles (ACS3 header signature and the v2 query `Action=...&Signature=...` style), pages as
// the APIs document, answers errors in Alibaba's shapes, and can be told to throttle, fail a region or
// answer garbage. Used by the adapter tests and the demo.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { aliyunRegionRecords, defaultFixtureSizes } from './fixture-data.ts';
import type { AliyunFixtureSizes, AliyunRegionRecords } from './fixture-data.ts';

export interface AliyunFixtureOptions {
  accessKeyId?: string;
  accessKeySecret?: string;
  regions?: string[];
  sizes?: Partial<AliyunFixtureSizes>;
  host?: string;
  port?: number;
}

export interface AliyunFixtureRequest {
  action: string;
  version: string;
  style: 'header' | 'query';
  regionId?: string;
}

export interface AliyunFixtureServer {
  /** host:port, the form the Alibaba SDKs take as `endpoint` (with protocol http). */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  regions: string[];
  /** Every request that passed signature checks, in order. */
  requests: AliyunFixtureRequest[];
  records(regionId: string): AliyunRegionRecords;
  /** The next `times` requests are refused with Throttling.User, advising a retry after `retryAfterMs`. */
  throttle(times: number, retryAfterMs?: number): void;
  /** Requests for this region answer 503 ServiceUnavailable until restored. */
  failRegion(regionId: string): void;
  restoreRegion(regionId: string): void;
  /** The next `times` requests get an HTML page with status 200, as a misconfigured proxy would send. */
  answerGarbage(times: number): void;
  close(): Promise<void>;
}

const versions = { ecs: '2014-05-26', vpc: '2016-04-28', kvstore: '2015-01-01' } as const;

interface ApiError {
  status: number;
  code: string;
  message: string;
}

const errors = {
  accessKeyNotFound: { status: 404, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' },
  signatureMismatch: { status: 400, code: 'SignatureDoesNotMatch', message: 'Specified signature is not matched with our calculation.' },
  missingSignature: { status: 400, code: 'MissingSignature', message: 'The input parameter "Signature" that is mandatory for processing this request is not supplied.' },
  throttled: { status: 400, code: 'Throttling.User', message: 'Request was denied due to user flow control.' },
  unavailable: { status: 503, code: 'ServiceUnavailable', message: 'The request has failed due to a temporary failure of the server.' },
  regionNotFound: { status: 404, code: 'InvalidRegionId.NotFound', message: 'The specified RegionId does not exist.' },
  unknownAction: { status: 404, code: 'InvalidAction.NotFound', message: 'Specified api is not found, please check your url and method.' },
} satisfies Record<string, ApiError>;

class FixtureApiError extends Error {
  readonly apiError: ApiError;
  constructor(apiError: ApiError, message = apiError.message) {
    super(message);
    this.apiError = { ...apiError, message };
  }
}

/** RFC 3986 encoding exactly as Alibaba's signers apply it. */
function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface ParsedCall {
  style: 'header' | 'query';
  action: string;
  version: string;
  params: Record<string, string>;
}

function verifyHeaderSignature(request: IncomingMessage, query: URLSearchParams, body: string, keyId: string, secret: string): void {
  const authorization = request.headers['authorization'] ?? '';
  const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(authorization);
  if (!match) throw new FixtureApiError(errors.missingSignature, 'The Authorization header is not a valid ACS3-HMAC-SHA256 signature.');
  const [, credential, signedHeaderList, signature] = match as unknown as [string, string, string, string];
  if (credential !== keyId) throw new FixtureApiError(errors.accessKeyNotFound);
  const payloadHash = createHash('sha256').update(body).digest('hex');
  if (request.headers['x-acs-content-sha256'] !== payloadHash) throw new FixtureApiError(errors.signatureMismatch);
  const signedHeaders = signedHeaderList.split(';');
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${String(request.headers[name] ?? '').trim()}\n`).join('');
  const canonicalQuery = [...query.keys()].sort().map((key) => `${key}=${percentEncode(query.get(key) ?? '')}`).join('&');
  const canonicalRequest = [request.method, '/', canonicalQuery, canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', secret).update(stringToSign).digest('hex');
  if (!sameText(expected, signature)) throw new FixtureApiError(errors.signatureMismatch);
}

function verifyQuerySignature(method: string, params: Record<string, string>, keyId: string, secret: string): void {
  if (params['AccessKeyId'] !== keyId) throw new FixtureApiError(errors.accessKeyNotFound);
  const canonical = Object.keys(params)
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key] ?? '')}`)
    .join('&');
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
  const expected = createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
  if (!sameText(expected, params['Signature'] ?? '')) throw new FixtureApiError(errors.signatureMismatch);
}

async function parseCall(request: IncomingMessage, keyId: string, secret: string): Promise<ParsedCall> {
  const url = new URL(request.url ?? '/', 'http://fixture');
  const body = await readBody(request);
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  if (String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
  }
  if (String(request.headers['authorization'] ?? '').startsWith('ACS3-')) {
    verifyHeaderSignature(request, url.searchParams, body, keyId, secret);
    return {
      style: 'header',
      action: String(request.headers['x-acs-action'] ?? ''),
      version: String(request.headers['x-acs-version'] ?? ''),
      params,
    };
  }
  if (params['Signature'] === undefined) throw new FixtureApiError(errors.missingSignature);
  verifyQuerySignature(request.method ?? 'GET', params, keyId, secret);
  return { style: 'query', action: params['Action'] ?? '', version: params['Version'] ?? '', params };
}

function integerParam(params: Record<string, string>, name: string, fallback: number, max: number): number {
  const raw = params[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new FixtureApiError({ status: 400, code: `Invalid${name}.Malformed`, message: `The specified parameter "${name}" is not valid (1..${max}).` });
  }
  return value;
}

/** MaxResults/NextToken paging (ECS DescribeInstances, DescribeDisks, DescribeSnapshots, DescribeSecurityGroups). */
function tokenPage(records: Record<string, unknown>[], params: Record<string, string>, max: number) {
  const size = integerParam(params, 'MaxResults', 10, max);
  let offset = 0;
  if (params['NextToken']) {
    const decoded = /^offset:(\d+)$/.exec(Buffer.from(params['NextToken'], 'base64url').toString());
    if (!decoded) throw new FixtureApiError({ status: 400, code: 'InvalidNextToken.Malformed', message: 'The specified parameter "NextToken" is not valid.' });
    offset = Number(decoded[1]);
  }
  const items = records.slice(offset, offset + size);
  const next = offset + size < records.length ? Buffer.from(`offset:${offset + size}`).toString('base64url') : '';
  return { items, paging: { NextToken: next, MaxResults: size, TotalCount: records.length } };
}

/** PageNumber/PageSize paging (ECS DescribeImages, VPC DescribeVpcs/DescribeVSwitches, KVStore DescribeInstances). */
function numberedPage(records: Record<string, unknown>[], params: Record<string, string>, max: number) {
  const size = integerParam(params, 'PageSize', 10, max);
  const number = integerParam(params, 'PageNumber', 1, 1_000_000);
  return { items: records.slice((number - 1) * size, number * size), paging: { PageNumber: number, PageSize: size, TotalCount: records.length } };
}

export async function startAliyunFixture(options: AliyunFixtureOptions = {}): Promise<AliyunFixtureServer> {
  const accessKeyId = options.accessKeyId ?? 'LTAI5tFixtureKeyId0001';
  const accessKeySecret = options.accessKeySecret ?? 'fixture-secret-0001';
  const regions = options.regions ?? ['cn-hangzhou', 'cn-shanghai'];
  const sizes = { ...defaultFixtureSizes, ...options.sizes };
  const recordsByRegion = new Map(regions.map((regionId, index) => [regionId, aliyunRegionRecords(regionId, index, sizes)]));
  const requests: AliyunFixtureRequest[] = [];
  const failedRegions = new Set<string>();
  let throttleLeft = 0;
  let throttleRetryAfterMs: number | undefined;
  let garbageLeft = 0;

  function regionRecords(params: Record<string, string>): AliyunRegionRecords {
    const records = recordsByRegion.get(params['RegionId'] ?? '');
    if (!records) throw new FixtureApiError(errors.regionNotFound);
    if (failedRegions.has(params['RegionId'] ?? '')) throw new FixtureApiError(errors.unavailable);
    return records;
  }

  function answer(call: ParsedCall): Record<string, unknown> {
    const { params } = call;
    switch (`${call.version}/${call.action}`) {
      case `${versions.ecs}/DescribeRegions`:
        return {
          Regions: {
            Region: regions.map((regionId) => ({ RegionId: regionId, LocalName: regionId, RegionEndpoint: `ecs.${regionId}.aliyuncs.com`, Status: 'available' })),
          },
        };
      case `${versions.ecs}/DescribeInstances`: {
        const { items, paging } = tokenPage(regionRecords(params).instances, params, 100);
        return { ...paging, Instances: { Instance: items } };
      }
      case `${versions.ecs}/DescribeDisks`: {
        const { items, paging } = tokenPage(regionRecords(params).disks, params, 500);
        return { ...paging, Disks: { Disk: items } };
      }
      case `${versions.ecs}/DescribeSnapshots`: {
        const { items, paging } = tokenPage(regionRecords(params).snapshots, params, 100);
        return { ...paging, Snapshots: { Snapshot: items } };
      }
      case `${versions.ecs}/DescribeSecurityGroups`: {
        const { items, paging } = tokenPage(regionRecords(params).securityGroups, params, 100);
        return { ...paging, RegionId: params['RegionId'], SecurityGroups: { SecurityGroup: items } };
      }
      case `${versions.ecs}/DescribeImages`: {
        const owned = params['ImageOwnerAlias'] === 'self' ? regionRecords(params).images : [];
        const { items, paging } = numberedPage(owned, params, 100);
        return { ...paging, RegionId: params['RegionId'], Images: { Image: items } };
      }
      case `${versions.vpc}/DescribeVpcs`: {
        const { items, paging } = numberedPage(regionRecords(params).vpcs, params, 50);
        return { ...paging, Vpcs: { Vpc: items } };
      }
      case `${versions.vpc}/DescribeVSwitches`: {
        const { items, paging } = numberedPage(regionRecords(params).vSwitches, params, 50);
        return { ...paging, VSwitches: { VSwitch: items } };
      }
      case `${versions.kvstore}/DescribeInstances`: {
        const { items, paging } = numberedPage(regionRecords(params).kvStoreInstances, params, 50);
        return { ...paging, Instances: { KVStoreInstance: items } };
      }
      default:
        throw new FixtureApiError(errors.unknownAction, `Specified api ${call.action} (version ${call.version}) is not found.`);
    }
  }

  function send(response: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    try {
      const call = await parseCall(request, accessKeyId, accessKeySecret);
      requests.push({ action: call.action, version: call.version, style: call.style, regionId: call.params['RegionId'] });
      if (garbageLeft > 0) {
        garbageLeft--;
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
        return;
      }
      if (throttleLeft > 0) {
        throttleLeft--;
        throw new FixtureApiError(errors.throttled);
      }
      send(response, 200, { RequestId: requestId, ...answer(call) });
    } catch (error) {
      if (!(error instanceof FixtureApiError)) throw error;
      const { status, code, message } = error.apiError;
      const headers: Record<string, string> = code.startsWith('Throttling') && throttleRetryAfterMs !== undefined
        ? { 'x-acs-retry-after': String(throttleRetryAfterMs) }
        : {};
      send(response, status, {
        RequestId: requestId,
        HostId: String(request.headers['host'] ?? ''),
        Code: code,
        Message: message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=Ecs&requestId=${requestId}`,
      }, headers);
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, { RequestId: randomUUID(), Code: 'InternalError', Message: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((done) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the Alibaba Cloud fixture server has no TCP address');

  return {
    endpoint: `${options.host ?? '127.0.0.1'}:${address.port}`,
    accessKeyId,
    accessKeySecret,
    regions,
    requests,
    records(regionId) {
      const records = recordsByRegion.get(regionId);
      if (!records) throw new Error(`the fixture has no region ${regionId}`);
      return records;
    },
    throttle(times, retryAfterMs) {
      throttleLeft = times;
      throttleRetryAfterMs = retryAfterMs;
    },
    failRegion: (regionId) => void failedRegions.add(regionId),
    restoreRegion: (regionId) => void failedRegions.delete(regionId),
    answerGarbage(times) {
      garbageLeft = times;
    },
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
