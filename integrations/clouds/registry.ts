// The cloud providers opsflow knows at run time: the built-ins plus third-party providers loaded at
// start-up from npm packages or paths, each checked against the CloudProvider contract before use.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  CloudAuthError,
  CloudNotFoundError,
  CloudRequestError,
  CloudResponseError,
  CloudThrottledError,
  CloudUnavailableError,
  CloudUnsupportedError,
} from './errors.ts';
import { capabilities, capabilityNameSchema, resourceTypeSchema } from './provider.ts';
import type { CapabilityTable, CloudProvider, CloudSession, ResourceType } from './provider.ts';
import { awsProvider } from './providers/aws/index.ts';
import { aliyunProvider } from './providers/aliyun/index.ts';
import { simProvider } from './providers/sim/index.ts';
import type { OutboundPolicy } from '../outbound/policy.ts';

// Providers are stored with their credential type erased: credentials arrive as decrypted JSON and are
// parsed by the provider's own schema in connect().
type AnyCloudProvider = CloudProvider<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const builtInProviders: readonly AnyCloudProvider[] = [simProvider, awsProvider, aliyunProvider];

/** A plugin could not be loaded or does not implement CloudProvider; the message names it and says why. */
export class CloudPluginError extends Error {
  override readonly name = 'CloudPluginError';
  readonly plugin: string;
  readonly problems: string[];

  constructor(plugin: string, problems: string[], cause?: unknown) {
    super(`cloud provider plugin ${JSON.stringify(plugin)} is not usable: ${problems.join('; ')}`, cause === undefined ? undefined : { cause });
    this.plugin = plugin;
    this.problems = problems;
  }
}

export class UnknownCloudProviderError extends Error {
  override readonly name = 'UnknownCloudProviderError';
  readonly providerId: string;

  constructor(providerId: string, known: string[]) {
    super(`no cloud provider ${JSON.stringify(providerId)} is enabled; enabled providers: ${known.join(', ') || 'none'}`);
    this.providerId = providerId;
  }
}

const providerIdSchema = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'must be 2-40 lowercase letters, digits or dashes, starting with a letter');

/** The shape a plugin's export must have. Checked structurally: a plugin may bring its own copy of zod. */
const pluginProviderShape = z.object({
  id: providerIdSchema,
  displayName: z.string().min(1),
  resourceTypes: z.array(resourceTypeSchema).min(1, 'must list at least one resource type'),
  capabilities: z.array(capabilityNameSchema).optional(),
  credentialsSchema: z.custom<z.ZodType>(
    (value) => typeof (value as { safeParse?: unknown } | null)?.safeParse === 'function',
    'must be a zod schema (an object with safeParse)',
  ),
  connect: z.custom<AnyCloudProvider['connect']>((value) => typeof value === 'function', 'must be a function'),
});

/**
 * What opsflow hands a plugin whose default export is a factory: its zod and its error classes, so a
 * plugin needs no run-time dependency on either and its errors are the ones retry policies recognise.
 */
export interface CloudPluginHost {
  z: typeof z;
  errors: {
    CloudAuthError: typeof CloudAuthError;
    CloudThrottledError: typeof CloudThrottledError;
    CloudNotFoundError: typeof CloudNotFoundError;
    CloudUnavailableError: typeof CloudUnavailableError;
    CloudUnsupportedError: typeof CloudUnsupportedError;
    CloudRequestError: typeof CloudRequestError;
    CloudResponseError: typeof CloudResponseError;
  };
}

const pluginHost: CloudPluginHost = {
  z,
  errors: {
    CloudAuthError,
    CloudThrottledError,
    CloudNotFoundError,
    CloudUnavailableError,
    CloudUnsupportedError,
    CloudRequestError,
    CloudResponseError,
  },
};

export interface ConnectAccountOptions {
  /** Decrypted account credentials, checked against the provider's credentialsSchema. */
  credentials: unknown;
  endpoint?: string;
  pageSize?: number;
}

export interface CloudRegistry {
  has(providerId: string): boolean;
  get(providerId: string): AnyCloudProvider;
  list(): AnyCloudProvider[];
  /** Validates the credentials (CloudAuthError naming the bad fields, never their values) and connects. */
  connect(providerId: string, options: ConnectAccountOptions): CloudSession;
}

export interface CloudRegistryOptions {
  /** The process's outbound policy, handed to every provider's connect() for its endpoint override. */
  outbound: OutboundPolicy;
  /** Provider ids to enable, built-in or plugin; default: all of them. */
  enabled?: string[];
  /** npm package names or filesystem paths (relative to `baseDir`) of third-party providers. */
  plugins?: string[];
  baseDir?: string;
}

function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:');
}

/** A directory plugin is entered through its package.json (`exports` or `main`), as npm would. */
async function entryFileOf(directory: string): Promise<string> {
  let manifest: { exports?: unknown; main?: unknown } = {};
  try {
    manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    // A bare folder without package.json is entered through index.js, like a CommonJS folder module.
  }
  const exported = manifest.exports;
  const dotExport = typeof exported === 'object' && exported !== null ? (exported as Record<string, unknown>)['.'] : exported;
  const conditional = typeof dotExport === 'object' && dotExport !== null
    ? ((dotExport as Record<string, unknown>)['import'] ?? (dotExport as Record<string, unknown>)['default'])
    : dotExport;
  const entry = typeof conditional === 'string' ? conditional : typeof manifest.main === 'string' ? manifest.main : 'index.js';
  return join(directory, entry);
}

async function importPlugin(specifier: string, baseDir: string): Promise<Record<string, unknown>> {
  if (!isPathSpecifier(specifier)) return (await import(specifier)) as Record<string, unknown>;
  const path = specifier.startsWith('file:') ? new URL(specifier).pathname : resolve(baseDir, specifier);
  const file = (await stat(path)).isDirectory() ? await entryFileOf(path) : path;
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

export async function loadProviderPlugin(specifier: string, baseDir = process.cwd()): Promise<AnyCloudProvider> {
  let exports: Record<string, unknown>;
  try {
    exports = await importPlugin(specifier, baseDir);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CloudPluginError(specifier, [`it could not be imported (${reason})`], error);
  }
  const exported = exports['default'] ?? exports['provider'];
  if (exported === undefined) {
    throw new CloudPluginError(specifier, ['it has neither a default export nor an export named "provider"']);
  }
  let candidate: unknown = exported;
  if (typeof exported === 'function') {
    try {
      candidate = await (exported as (host: CloudPluginHost) => unknown)(pluginHost);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CloudPluginError(specifier, [`its provider factory threw (${reason})`], error);
    }
  }
  const checked = pluginProviderShape.safeParse(candidate);
  if (!checked.success) {
    throw new CloudPluginError(
      specifier,
      checked.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'the export'}: ${issue.message}`),
    );
  }
  return candidate as AnyCloudProvider;
}

export async function createCloudRegistry(options: CloudRegistryOptions): Promise<CloudRegistry> {
  const providers = new Map<string, AnyCloudProvider>(builtInProviders.map((provider) => [provider.id, provider]));
  for (const specifier of options.plugins ?? []) {
    const provider = await loadProviderPlugin(specifier, options.baseDir);
    if (providers.has(provider.id)) {
      throw new CloudPluginError(specifier, [`its id ${JSON.stringify(provider.id)} is already taken by another provider`]);
    }
    providers.set(provider.id, provider);
  }
  if (options.enabled) {
    const unknown = options.enabled.filter((id) => !providers.has(id));
    if (unknown.length > 0) {
      throw new UnknownCloudProviderError(unknown.join(', '), [...providers.keys()]);
    }
    for (const id of [...providers.keys()]) if (!options.enabled.includes(id)) providers.delete(id);
  }

  const get = (providerId: string): AnyCloudProvider => {
    const provider = providers.get(providerId);
    if (!provider) throw new UnknownCloudProviderError(providerId, [...providers.keys()]);
    return provider;
  };

  return {
    has: (providerId) => providers.has(providerId),
    get,
    list: () => [...providers.values()],
    connect(providerId, { credentials, endpoint, pageSize }) {
      const provider = get(providerId);
      const parsed = provider.credentialsSchema.safeParse(credentials);
      if (!parsed.success) {
        const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'credentials'}: ${issue.message}`);
        throw new CloudAuthError(`the account's credentials do not fit this provider (${fields.join('; ')})`, {
          provider: providerId,
          operation: 'connect',
        });
      }
      return provider.connect({ credentials: parsed.data, endpoint, outbound: options.outbound, pageSize });
    },
  };
}

export interface ProviderCatalogEntry {
  id: string;
  displayName: string;
  resourceTypes: ResourceType[];
  capabilities: CapabilityTable;
  /** JSON Schema of the credentials form, when the provider's schema is a zod 4 schema. */
  credentialsJsonSchema?: unknown;
}

/** Providers, their resource types and capabilities as data, for the API and the generated docs table. */
export function providerCatalog(registry: CloudRegistry): ProviderCatalogEntry[] {
  return registry.list().map((provider) => {
    const entry: ProviderCatalogEntry = {
      id: provider.id,
      displayName: provider.displayName,
      resourceTypes: [...provider.resourceTypes],
      capabilities: capabilities(provider),
    };
    if (provider.credentialsSchema instanceof z.ZodType) {
      entry.credentialsJsonSchema = z.toJSONSchema(provider.credentialsSchema, { io: 'input', unrepresentable: 'any' });
    }
    return entry;
  });
}
