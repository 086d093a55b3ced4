// The one contract every cloud provider must pass, the simulated one included, so fakes cannot drift
// from real adapters. Each provider's test file calls runProviderContract with a way to open sessions.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CloudAuthError } from '../../integrations/clouds/errors.ts';
import { capabilities, capabilityGuards, capabilityNames, normalizedResourceSchema } from '../../integrations/clouds/provider.ts';
import type { CloudProvider, CloudSession, NormalizedResource, ResourceType } from '../../integrations/clouds/provider.ts';

export interface ContractSessionOptions {
  pageSize?: number;
  /** 'invalid': credentials of the right shape that the provider must refuse. */
  credentials?: 'valid' | 'invalid';
}

export interface ContractOptions {
  /** Regions to list in; default: the first three the provider lists. */
  regions?: () => string[];
  /** A page size small enough that every seeded type needs several pages. */
  smallPageSize?: number;
  /** Every relation must name a resource that the listing itself returned (true for closed worlds: sim, fixtures). */
  relationsResolve?: boolean;
}

const maxPages = 100_000;

/** Pages through a listing to its end, failing on a token that does not advance or a listing that never ends. */
export async function listEveryPage(session: CloudSession, type: ResourceType, region: string): Promise<{ resources: NormalizedResource[]; pages: number }> {
  const resources: NormalizedResource[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  do {
    const page = await session.list(type, region, pageToken);
    resources.push(...page.resources);
    pages++;
    assert.ok(pages < maxPages, `${type} in ${region}: listing never ends (page token ${pageToken})`);
    if (page.nextPageToken !== undefined) {
      assert.notEqual(page.nextPageToken, pageToken, `${type} in ${region}: the page token did not advance`);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return { resources, pages };
}

export async function listAll(session: CloudSession, type: ResourceType, region: string): Promise<NormalizedResource[]> {
  return (await listEveryPage(session, type, region)).resources;
}

export function runProviderContract(
  name: string,
  provider: CloudProvider<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  makeSession: (options: ContractSessionOptions) => CloudSession | Promise<CloudSession>,
  options: ContractOptions = {},
): void {
  describe(`cloud provider contract: ${name}`, () => {
    const sessions: CloudSession[] = [];
    const open = async (sessionOptions: ContractSessionOptions) => {
      const session = await makeSession(sessionOptions);
      sessions.push(session);
      return session;
    };
    const listings = new Map<string, NormalizedResource[]>();
    let regions: string[] = [];

    after(() => {
      for (const session of sessions) session.close();
    });

    test('describes itself', () => {
      assert.match(provider.id, /^[a-z][a-z0-9-]+$/);
      assert.ok(provider.displayName.length > 0);
      assert.ok(provider.resourceTypes.length > 0);
      assert.equal(new Set(provider.resourceTypes).size, provider.resourceTypes.length, 'resource types are listed once each');
    });

    test('lists regions', async () => {
      const session = await open({});
      const listed = await session.listRegions();
      assert.ok(listed.length > 0, 'at least one region');
      assert.equal(new Set(listed).size, listed.length, 'no region twice');
      for (const region of listed) assert.equal(typeof region, 'string');
      regions = options.regions?.() ?? listed.slice(0, 3);
      for (const region of regions) assert.ok(listed.includes(region), `${region} is among the listed regions`);
    });

    for (const type of provider.resourceTypes) {
      test(`lists ${type} completely across small pages, in normalized form`, async () => {
        const small = await open({ pageSize: options.smallPageSize ?? 2 });
        const large = await open({ pageSize: 1000 });
        let total = 0;
        for (const region of regions) {
          const paged = await listEveryPage(small, type, region);
          const whole = await listEveryPage(large, type, region);
          const ids = paged.resources.map((resource) => resource.externalId);
          assert.equal(new Set(ids).size, ids.length, `${type} in ${region}: no resource on two pages`);
          assert.deepEqual(
            [...ids].sort(),
            whole.resources.map((resource) => resource.externalId).sort(),
            `${type} in ${region}: small pages return exactly what large pages return`,
          );
          for (const resource of paged.resources) {
            const parsed = normalizedResourceSchema.safeParse(resource);
            assert.ok(parsed.success, `${type} ${resource.externalId} is normalized: ${parsed.error?.message}`);
            assert.equal(resource.type, type);
            assert.equal(resource.region, region);
            for (const relation of resource.relations ?? []) {
              assert.ok(provider.resourceTypes.includes(relation.toType), `${resource.externalId} relates to an advertised type (${relation.toType})`);
            }
          }
          listings.set(`${type}@${region}`, paged.resources);
          total += paged.resources.length;
        }
        assert.ok(total > 0, `the test account has at least one ${type}`);
      });
    }

    if (options.relationsResolve) {
      test('relations point at resources that exist', () => {
        for (const region of regions) {
          const known = new Set<string>();
          for (const type of provider.resourceTypes) {
            for (const resource of listings.get(`${type}@${region}`) ?? []) known.add(`${type}:${resource.externalId}`);
          }
          for (const type of provider.resourceTypes) {
            for (const resource of listings.get(`${type}@${region}`) ?? []) {
              for (const relation of resource.relations ?? []) {
                assert.ok(known.has(`${relation.toType}:${relation.toExternalId}`), `${resource.externalId} ${relation.kind} ${relation.toExternalId} exists in ${region}`);
              }
            }
          }
        }
      });
    }

    test('refuses bad credentials with CloudAuthError', async () => {
      const session = await open({ credentials: 'invalid' });
      await assert.rejects(session.listRegions(), CloudAuthError);
      const [type] = provider.resourceTypes;
      await assert.rejects(session.list(type as ResourceType, regions[0] as string), CloudAuthError);
    });

    test('sessions implement exactly the capabilities the provider declares', async () => {
      const session = await open({});
      const declared = capabilities(provider);
      for (const capability of capabilityNames) {
        assert.equal(capabilityGuards[capability](session), declared[capability], `capability ${capability}`);
      }
    });
  });
}
