// An example third-party opsflow cloud provider, loaded at start-up by naming this folder (or the npm
// package, once published as JavaScript) in the registry's plugins. It stands in for a small bare-metal
// host: machines and disks in two data centres, plus DNS records as an optional capability.
//
// The default export is a factory: opsflow calls it with its own zod and error classes, so this package
// has no run-time dependency on opsflow or zod. The imports below are types only and vanish at run time.
import type { CloudPluginHost } from '../../integrations/clouds/registry.ts';
import type { CloudProvider, CloudSession, DnsRecord, DnsRecords, NormalizedResource, ResourcePage, ResourceType } from '../../integrations/clouds/provider.ts';

interface ExampleMetalCredentials {
  apiToken: string;
}

const dataCentres = ['fra1', 'ams1'] as const;
const machinesPerDataCentre = 9;
/** Tokens this stand-in API accepts; a real plugin asks its provider's API instead. */
const acceptedTokens = new Set(['em_example_token']);

function machine(dataCentre: string, index: number): NormalizedResource {
  const id = `em-${dataCentre}-m${index}`;
  return {
    type: 'instance',
    region: dataCentre,
    zone: `${dataCentre}-rack${index % 3}`,
    externalId: id,
    name: `metal-${index}`,
    status: index % 4 === 3 ? 'powered_off' : 'active',
    attributes: {
      instanceType: index % 2 === 0 ? 'em.metal.s' : 'em.metal.l',
      privateIps: [`10.9.${dataCentres.indexOf(dataCentre as (typeof dataCentres)[number])}.${index + 10}`],
      publicIps: [`192.0.2.${index + 1}`],
      securityGroupIds: [],
      diskIds: [`${id}-disk0`, ...(index % 3 === 0 ? [`${id}-disk1`] : [])],
    },
    tags: { plan: index % 2 === 0 ? 'small' : 'large' },
    relations: [],
    extra: { rack: index % 3 },
    raw: { id, index },
  };
}

function disksOf(dataCentre: string, index: number): NormalizedResource[] {
  const machineId = `em-${dataCentre}-m${index}`;
  return Array.from({ length: index % 3 === 0 ? 2 : 1 }, (_, d) => ({
    type: 'disk' as const,
    region: dataCentre,
    externalId: `${machineId}-disk${d}`,
    name: d === 0 ? 'boot' : 'data',
    status: 'attached',
    attributes: { sizeGb: d === 0 ? 240 : 1920, instanceId: machineId, diskType: 'nvme' },
    tags: {},
    relations: [{ kind: 'attached_to' as const, toType: 'instance' as const, toExternalId: machineId }],
    extra: {},
    raw: { machineId, slot: d },
  }));
}

const catalog: Record<string, Partial<Record<ResourceType, NormalizedResource[]>>> = Object.fromEntries(
  dataCentres.map((dataCentre) => {
    const indexes = Array.from({ length: machinesPerDataCentre }, (_, index) => index);
    return [dataCentre, { instance: indexes.map((index) => machine(dataCentre, index)), disk: indexes.flatMap((index) => disksOf(dataCentre, index)) }];
  }),
);

export default function createExampleMetalProvider({ z, errors }: CloudPluginHost): CloudProvider<ExampleMetalCredentials> {
  const credentialsSchema = z.object({ apiToken: z.string().min(8) });

  class ExampleMetalSession implements CloudSession, DnsRecords {
    readonly #token: string;
    readonly #pageSize: number;
    readonly #dns = new Map<string, DnsRecord>();

    constructor(token: string, pageSize: number) {
      this.#token = token;
      this.#pageSize = pageSize;
    }

    #authenticate(operation: string): void {
      if (!acceptedTokens.has(this.#token)) {
        throw new errors.CloudAuthError('Example Metal does not know this API token; create one in its console', { provider: 'example-metal', operation });
      }
    }

    async listRegions(): Promise<string[]> {
      this.#authenticate('GET /regions');
      return [...dataCentres];
    }

    async list(type: ResourceType, region: string, pageToken?: string): Promise<ResourcePage> {
      this.#authenticate(`GET /${type}s`);
      const byType = catalog[region];
      if (!byType) throw new errors.CloudNotFoundError(`no data centre ${region}`, { provider: 'example-metal', region });
      const all = byType[type];
      if (!all) throw new errors.CloudUnsupportedError(`Example Metal has no ${type}`, { provider: 'example-metal', region });
      const offset = pageToken === undefined ? 0 : Number(pageToken);
      if (!Number.isInteger(offset) || offset < 0) {
        throw new errors.CloudRequestError('the page token is not an offset', { provider: 'example-metal', region });
      }
      const resources = all.slice(offset, offset + this.#pageSize);
      const next = offset + this.#pageSize;
      return next < all.length ? { resources, nextPageToken: String(next) } : { resources };
    }

    async listDnsRecords(zone: string): Promise<DnsRecord[]> {
      this.#authenticate('GET /dns');
      return [...this.#dns.values()].filter((record) => record.zone === zone);
    }

    async upsertDnsRecord(record: DnsRecord): Promise<void> {
      this.#authenticate('PUT /dns');
      this.#dns.set(`${record.zone}|${record.name}|${record.type}`, record);
    }

    async deleteDnsRecord(zone: string, name: string, type: DnsRecord['type']): Promise<void> {
      this.#authenticate('DELETE /dns');
      this.#dns.delete(`${zone}|${name}|${type}`);
    }

    close(): void {}
  }

  return {
    id: 'example-metal',
    displayName: 'Example Metal (third-party plugin)',
    resourceTypes: ['instance', 'disk'],
    capabilities: ['dnsRecords'],
    credentialsSchema,
    connect: ({ credentials, pageSize }) => new ExampleMetalSession(credentials.apiToken, Math.max(1, pageSize ?? 50)),
  };
}
