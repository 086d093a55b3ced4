// A deterministic simulated cloud for the demo and the tests: every resource type in several regions,
// computed from a seed page by page (nothing is held in memory), changing from one generation to the next.
import { z } from 'zod';
import { CloudAuthError, CloudNotFoundError, CloudRequestError, CloudResponseError, CloudThrottledError, CloudUnavailableError, CloudUnsupportedError } from '../../errors.ts';
import { resourceTypes } from '../../provider.ts';
import type { CloudProvider, CloudSession, NormalizedResource, ResourcePage, ResourceType } from '../../provider.ts';
import { simulatedAccount, simulatedRegionNames } from './account.ts';
import type { SimulatedAccount } from './account.ts';

export const simCredentialsSchema = z.object({
  seed: z.string().min(1),
  /** Instances per region; the other types scale from it (one to two disks per instance, a VPC per 500, ...). */
  instancesPerRegion: z.number().int().min(1).max(100_000_000).default(60),
  regions: z.number().int().min(1).max(simulatedRegionNames.length).default(3),
  /** Fixed generation for reproducible listings; unset, the generation advances every `generationSeconds`. */
  generation: z.number().int().min(0).optional(),
  generationSeconds: z.number().int().positive().default(300),
  /** Behave like an account whose key was revoked: every call fails with CloudAuthError. */
  revoked: z.boolean().default(false),
  /** Regions that answer like an outage (CloudUnavailableError). */
  unavailableRegions: z.array(z.string()).default([]),
  /**
   * Behave like a provider whose pagination breaks: a page that starts this many slots into a listing answers
   * garbage (CloudResponseError), in every region and type. Unset: listings complete.
   */
  brokenListingAfter: z.number().int().min(1).optional(),
  /**
   * Behave like a provider's rate limiter: in every type and region, the first page that starts `afterSlots` or more
   * into the listing is refused `times` times in a row (CloudThrottledError advising `retryAfterMs`), then answers.
   * Counted per seed, type and region across connections in this process, as a real limiter counts per key.
   */
  throttle: z
    .object({
      afterSlots: z.number().int().min(0).default(0),
      times: z.number().int().min(1),
      retryAfterMs: z.number().int().min(0).default(1000),
    })
    .optional(),
});
export type SimCredentials = z.input<typeof simCredentialsSchema>;

const defaultPageSize = 100;
const maxPageSize = 1000;

/** Throttles answered so far per seed, type and region (the `throttle` setting). */
const throttlesAnswered = new Map<string, number>();

/** Page tokens name the generation they were cut from, so a listing that spans a generation change stays consistent. */
function parsePageToken(token: string, region: string, type: ResourceType): { generation: number; slot: number } {
  const match = /^(\d+)\.(\d+)$/.exec(token);
  if (!match) {
    throw new CloudRequestError(`page token ${JSON.stringify(token.slice(0, 40))} was not issued by this provider`, {
      provider: 'sim',
      operation: `list ${type}`,
      region,
    });
  }
  return { generation: Number(match[1]), slot: Number(match[2]) };
}

class SimSession implements CloudSession {
  readonly #account: SimulatedAccount;
  readonly #settings: z.output<typeof simCredentialsSchema>;
  readonly #pageSize: number;

  constructor(settings: z.output<typeof simCredentialsSchema>, pageSize: number) {
    this.#settings = settings;
    this.#account = simulatedAccount(settings.seed, settings.instancesPerRegion);
    this.#pageSize = pageSize;
  }

  #currentGeneration(): number {
    return this.#settings.generation ?? Math.floor(Date.now() / (this.#settings.generationSeconds * 1000));
  }

  #checkAccess(operation: string, region?: string): void {
    if (this.#settings.revoked) {
      throw new CloudAuthError('the access key of this simulated account is revoked; update the account credentials', {
        provider: 'sim',
        operation,
        region,
        providerCode: 'KeyRevoked',
      });
    }
  }

  async listRegions(): Promise<string[]> {
    this.#checkAccess('listRegions');
    return simulatedRegionNames.slice(0, this.#settings.regions);
  }

  async list(type: ResourceType, region: string, pageToken?: string): Promise<ResourcePage> {
    const operation = `list ${type}`;
    this.#checkAccess(operation, region);
    const regionIndex = (simulatedRegionNames as readonly string[]).indexOf(region);
    if (regionIndex < 0 || regionIndex >= this.#settings.regions) {
      throw new CloudNotFoundError(`region ${region} does not exist in this simulated account`, { provider: 'sim', operation, region });
    }
    if (this.#settings.unavailableRegions.includes(region)) {
      throw new CloudUnavailableError('the simulated region is having an outage', { provider: 'sim', operation, region, providerCode: 'ServiceUnavailable' });
    }
    if (!resourceTypes.includes(type)) {
      throw new CloudUnsupportedError(`resource type ${String(type)} is not simulated`, { provider: 'sim', operation, region });
    }
    const position = pageToken === undefined
      ? { generation: this.#currentGeneration(), slot: undefined }
      : parsePageToken(pageToken, region, type);
    const view = this.#account.view(type, regionIndex, position.generation);
    const resources: NormalizedResource[] = [];
    let slot = Math.max(position.slot ?? view.firstSlot, view.firstSlot);
    const broken = this.#settings.brokenListingAfter;
    if (broken !== undefined && slot - view.firstSlot >= broken) {
      throw new CloudResponseError('the listing answered an HTML error page instead of the next page', {
        provider: 'sim',
        operation,
        region,
        providerCode: 'BrokenPagination',
      });
    }
    const throttle = this.#settings.throttle;
    if (throttle !== undefined && slot - view.firstSlot >= throttle.afterSlots) {
      const key = `${this.#settings.seed}/${type}/${region}`;
      const answered = throttlesAnswered.get(key) ?? 0;
      if (answered < throttle.times) {
        throttlesAnswered.set(key, answered + 1);
        throw new CloudThrottledError('the simulated rate limit is exceeded', {
          provider: 'sim',
          operation,
          region,
          providerCode: 'Throttling',
          retryAfterMs: throttle.retryAfterMs,
        });
      }
    }
    for (; slot < view.endSlot && resources.length < this.#pageSize; slot++) {
      const resource = view.resourceAt(slot);
      if (resource) resources.push(resource);
    }
    return slot < view.endSlot ? { resources, nextPageToken: `${position.generation}.${slot}` } : { resources };
  }

  close(): void {}
}

export const simProvider: CloudProvider<SimCredentials> = {
  id: 'sim',
  displayName: 'Simulated cloud',
  resourceTypes,
  capabilities: [],
  credentialsSchema: simCredentialsSchema,
  connect({ credentials, pageSize }) {
    const settings = simCredentialsSchema.parse(credentials);
    return new SimSession(settings, Math.min(Math.max(1, pageSize ?? defaultPageSize), maxPageSize));
  },
};
