// pino set-up shared by the API and the workers: secrets are redacted from every logged object,
// request logs carry no Authorization/Cookie header and no secret-looking query parameter.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Field names whose values are never logged, at any of the first four levels of a logged object. */
export const SECRET_FIELD_NAMES = [
  'password',
  'secret',
  'secretAccessKey',
  'accessKeySecret',
  'appSecret',
  'clientSecret',
  'privateKey',
  'token',
  'accessToken',
  'refreshToken',
  'sessionToken',
  'apiKey',
  'jwtSecret',
  'encryptionKeys',
] as const;

const MAX_DEPTH = 4;
const atAnyDepth = (path: string): string[] => Array.from({ length: MAX_DEPTH }, (_, depth) => [...Array<string>(depth).fill('*'), path].join('.'));

/** pino `redact.paths`; reuse them in other pino loggers (`pino({ redact: { paths: REDACT_PATHS } })`). */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_FIELD_NAMES.flatMap(atAnyDepth),
  ...atAnyDepth('credentials.*'),
];

export const REDACTED = '[Redacted]';

const SECRET_QUERY_PARAM = /token|secret|password|signature|credential|api[-_]?key/i;

/** Replaces the values of secret-looking query parameters, e.g. `/x?access_token=abc` → `/x?access_token=[Redacted]`. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_QUERY_PARAM.test(decodeURIComponentSafe(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** Request serializer for Fastify: what is logged about a request, with no headers at all. */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
  };
}

/**
 * Error serializer: pino's standard one, with binary fields (e.g. the `rawPacket` of a malformed HTTP request that
 * Node's server reports) reduced to their size. Redaction walks every field of a logged object, and walking a
 * Buffer's getters throws, which would turn one bad request into an uncaught exception. A raw packet could also
 * carry an Authorization header.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (!serialized || typeof serialized !== 'object') return serialized;
  for (const [key, value] of Object.entries(serialized)) {
    if (value instanceof Uint8Array) serialized[key] = `[${value.byteLength} bytes]`;
  }
  return serialized;
}

/** pino options with opsflow's redaction; `overrides` are merged on top (their redact paths are added). */
export function loggerOptions(level: string, overrides: LoggerOptions = {}): LoggerOptions {
  const extra = Array.isArray(overrides.redact) ? overrides.redact : (overrides.redact?.paths ?? []);
  return {
    level,
    ...overrides,
    redact: { paths: [...REDACT_PATHS, ...extra], censor: REDACTED },
    serializers: { req: serializeRequest, err: serializeError, ...overrides.serializers },
  };
}

export function createLogger(level: string, overrides: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const options = loggerOptions(level, overrides);
  return destination ? pino(options, destination) : pino(options);
}
