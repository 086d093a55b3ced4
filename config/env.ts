// The one schema for opsflow's environment variables. Every entry point parses it once with loadConfig();
// a bad or missing value stops start-up with a single message that lists every problem.
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseCidr } from '../integrations/outbound/policy.ts';

const PORT_ERROR = { error: 'must be a port number from 1 to 65535' };
const port = (fallback: number) => z.coerce.number(PORT_ERROR).int(PORT_ERROR).min(1, PORT_ERROR).max(65535, PORT_ERROR).default(fallback);

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** `a, b,c` → ['a', 'b', 'c']; empty items are dropped. */
const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item !== ''))
  .or(z.array(z.string()));

/** A comma-separated list of CIDR ranges; each bad range is named. */
const cidrList = commaList.superRefine((ranges, context) => {
  for (const range of ranges) {
    try {
      parseCidr(range);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }
});

/** Each variable, its default and what it means. The README's configuration table is written from this. */
export const envSchema = z.object({
  OPSFLOW_HOME: z.string().default('.opsflow').describe('Directory for local state: embedded PostgreSQL data, the Temporal dev server database, generated keys, the admin token.'),
  OPSFLOW_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
  OPSFLOW_DEMO: booleanFlag(true).describe('Seed the demo data on `npm start` (`false` skips it).'),
  DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional()).describe('PostgreSQL to use. Unset: opsflow starts an embedded PostgreSQL under OPSFLOW_HOME.'),
  OPSFLOW_PG_PORT: port(5433).describe('Port of the embedded PostgreSQL (only without DATABASE_URL).'),
  TEMPORAL_ADDRESS: optionalText.pipe(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').optional()).describe('Temporal frontend to use (host:port). Unset: opsflow starts a Temporal dev server.'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace.'),
  TEMPORAL_TLS: booleanFlag(false).describe('Connect to Temporal over TLS (implied by TEMPORAL_API_KEY or a client certificate).'),
  TEMPORAL_TLS_CA: optionalText.describe('PEM file of the CA that signed the Temporal server certificate.'),
  TEMPORAL_TLS_CERT: optionalText.describe('PEM file of the mTLS client certificate.'),
  TEMPORAL_TLS_KEY: optionalText.describe('PEM file of the mTLS client key.'),
  TEMPORAL_TLS_SERVER_NAME: optionalText.describe('Server name to verify in the Temporal server certificate.'),
  TEMPORAL_API_KEY: optionalText.describe('API key for Temporal Cloud (sent as a bearer token; implies TLS).'),
  OPSFLOW_TASK_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, . _ -').default('').describe('Prefix for every task queue name, so several opsflow installations (or test runs) can share one Temporal namespace.'),
  OPSFLOW_TEMPORAL_PORT: port(7233).describe('gRPC port of the embedded Temporal dev server (only without TEMPORAL_ADDRESS).'),
  OPSFLOW_TEMPORAL_UI_PORT: port(8233).describe('Web UI port of the embedded Temporal dev server.'),
  OPSFLOW_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464).describe('Port (on 127.0.0.1) where a worker process serves the Temporal runtime metrics in Prometheus format; 0 turns it off. `opsflow up` also folds them into the API\'s /metrics.'),
  OPSFLOW_API_HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTP API listens on.'),
  OPSFLOW_API_PORT: port(3000).describe('Port the HTTP API listens on.'),
  OPSFLOW_PUBLIC_URL: optionalText.pipe(z.url({ error: 'must be an absolute URL' }).optional()).describe('URL at which users reach the API (for printed links and the OpenAPI servers entry).'),
  OPSFLOW_ENCRYPTION_KEYS: optionalText.describe('Encryption keys as `id:base64key[,id:base64key...]` (32-byte keys; the first encrypts, all decrypt). Unset: a key file under OPSFLOW_HOME is generated and used.'),
  OPSFLOW_JWT_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()).describe('HMAC secret for API bearer tokens. Unset: a secret file under OPSFLOW_HOME is generated and used.'),
  OPSFLOW_CODEC_ENDPOINT: booleanFlag(false).describe('Serve /codec/decode and /codec/encode so the Temporal Web UI can show decoded payloads to an authorised user (role operator or above).'),
  OPSFLOW_CODEC_CORS_ORIGIN: optionalText.describe('Origin allowed to call the codec endpoint from a browser (the Web UI), e.g. http://127.0.0.1:8233.'),
  OPSFLOW_CLOUD_PROVIDERS: commaList.optional().describe('Cloud providers to enable, comma-separated ids of built-ins (sim, aws, aliyun) and of plugins loaded from OPSFLOW_CLOUD_PLUGINS. Unset: all of them.'),
  OPSFLOW_CLOUD_SYNC_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(500).describe('Resources a cloud sync asks the provider for per page (providers clamp it to their API limits); each page is one upsert and one checkpoint.'),
  OPSFLOW_CLOUD_PLUGINS: commaList.default([]).describe('Third-party cloud providers to load at start-up, comma-separated npm package names or paths (relative to the working directory); each is checked against the CloudProvider contract.'),
  OPSFLOW_CMDB_RETENTION_SECONDS: z.coerce.number().int().min(1).default(10800).describe('How far back CMDB keeps watch events (its docs promise 3 h, the code keeps 6 h). An expired cursor whose last caught-up time lies inside this window is resumed with bk_start_from; an older one triggers a full re-list.'),
  OPSFLOW_OUTBOUND_ALLOW: cidrList.default([]).describe('CIDR ranges that calls to user-configured addresses (CMDB, webhooks, cloud endpoints) may reach, comma-separated, e.g. `10.20.0.0/16,192.0.2.10/32`; empty: every address not denied. Cloud metadata and link-local addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are refused whatever this says.'),
  OPSFLOW_OUTBOUND_DENY: cidrList.default([]).describe('CIDR ranges that calls to user-configured addresses may never reach, comma-separated, e.g. `127.0.0.0/8,::1/128` so that no configured address can reach services on the opsflow hosts themselves.'),
  OPSFLOW_CMDB_EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(8090).describe('Port of the CMDB emulator `npm start` runs in-process for the demo (with a change generator and a source following it); 0 turns it off.'),
});

export type RawEnv = z.infer<typeof envSchema>;

export interface Config {
  home: string;
  logLevel: RawEnv['OPSFLOW_LOG_LEVEL'];
  demo: boolean;
  database: { url?: string; embeddedPort: number };
  temporal: {
    address?: string;
    namespace: string;
    tls: boolean;
    tlsCa?: string;
    tlsCert?: string;
    tlsKey?: string;
    tlsServerName?: string;
    apiKey?: string;
    devPort: number;
    uiPort: number;
    taskQueuePrefix: string;
  };
  api: { host: string; port: number; publicUrl?: string };
  workerMetricsPort: number;
  security: { encryptionKeys?: string; jwtSecret?: string };
  codec: { enabled: boolean; corsOrigin?: string };
  /** `providers` undefined: every built-in and every loaded plugin. */
  clouds: { providers?: string[]; plugins: string[]; syncPageSize: number };
  cmdb: { retentionSeconds: number; emulatorPort: number };
  /** The outbound-call policy's settings (integrations/outbound/policy.ts). */
  outbound: { allow: string[]; deny: string[] };
}

/** Thrown when the environment does not parse; its message lists every bad variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`opsflow configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(Object.keys(envSchema.shape).map((key) => [key, env[key]]));
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both or neither');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    home: resolve(e.OPSFLOW_HOME),
    logLevel: e.OPSFLOW_LOG_LEVEL,
    demo: e.OPSFLOW_DEMO,
    database: { url: e.DATABASE_URL, embeddedPort: e.OPSFLOW_PG_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      tls: e.TEMPORAL_TLS || Boolean(e.TEMPORAL_API_KEY) || Boolean(e.TEMPORAL_TLS_CERT),
      tlsCa: e.TEMPORAL_TLS_CA,
      tlsCert: e.TEMPORAL_TLS_CERT,
      tlsKey: e.TEMPORAL_TLS_KEY,
      tlsServerName: e.TEMPORAL_TLS_SERVER_NAME,
      apiKey: e.TEMPORAL_API_KEY,
      devPort: e.OPSFLOW_TEMPORAL_PORT,
      uiPort: e.OPSFLOW_TEMPORAL_UI_PORT,
      taskQueuePrefix: e.OPSFLOW_TASK_QUEUE_PREFIX,
    },
    api: { host: e.OPSFLOW_API_HOST, port: e.OPSFLOW_API_PORT, publicUrl: e.OPSFLOW_PUBLIC_URL },
    workerMetricsPort: e.OPSFLOW_WORKER_METRICS_PORT,
    security: { encryptionKeys: e.OPSFLOW_ENCRYPTION_KEYS, jwtSecret: e.OPSFLOW_JWT_SECRET },
    codec: { enabled: e.OPSFLOW_CODEC_ENDPOINT, corsOrigin: e.OPSFLOW_CODEC_CORS_ORIGIN },
    clouds: { providers: e.OPSFLOW_CLOUD_PROVIDERS?.length ? e.OPSFLOW_CLOUD_PROVIDERS : undefined, plugins: e.OPSFLOW_CLOUD_PLUGINS, syncPageSize: e.OPSFLOW_CLOUD_SYNC_PAGE_SIZE },
    cmdb: { retentionSeconds: e.OPSFLOW_CMDB_RETENTION_SECONDS, emulatorPort: e.OPSFLOW_CMDB_EMULATOR_PORT },
    outbound: { allow: e.OPSFLOW_OUTBOUND_ALLOW, deny: e.OPSFLOW_OUTBOUND_DENY },
  };
}
