// Alibaba Cloud through the official OpenAPI SDKs: ECS (instances, disks, snapshots, owned images, security
// groups), VPC (VPCs, vSwitches as subnets) and KVStore (Redis). Paging follows each API: NextToken for
// the ECS lists that offer it, PageNumber/PageSize elsewhere.
import EcsSdk from '@alicloud/ecs20140526';
import KvStoreSdk from '@alicloud/r-kvstore20150101';
import VpcSdk from '@alicloud/vpc20160428';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { z } from 'zod';
import { CloudRequestError, CloudResponseError, CloudUnsupportedError, requireResponseList } from '../../errors.ts';
import { CLOUD_CALL_TIMEOUT_MS, CLOUD_CONNECT_TIMEOUT_MS } from '../../provider.ts';
import type { CloudProvider, CloudSession, NormalizedResource, ResourcePage, ResourceType } from '../../provider.ts';
import type { OutboundPolicy } from '../../../outbound/policy.ts';
import { toCloudError } from './errors.ts';
import {
  normalizeDisk,
  normalizeEcsInstance,
  normalizeImage,
  normalizeKvStore,
  normalizeSecurityGroup,
  normalizeSnapshot,
  normalizeVSwitch,
  normalizeVpc,
} from './normalize.ts';

export const aliyunCredentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  accessKeySecret: z.string().min(1),
  securityToken: z.string().min(1).optional(),
  /** Region used for account-wide calls such as DescribeRegions. */
  homeRegion: z.string().min(1).default('cn-hangzhou'),
  /**
   * 'v3' signs in headers (ACS3-HMAC-SHA256, the SDK default); 'v2' signs in the query
   * (Action=...&Signature=...), which some private-cloud (Apsara Stack) endpoints still require.
   */
  signatureVersion: z.enum(['v3', 'v2']).default('v3'),
});
export type AliyunCredentials = z.input<typeof aliyunCredentialsSchema>;

const aliyunResourceTypes = ['instance', 'vpc', 'subnet', 'disk', 'snapshot', 'image', 'security_group', 'redis'] as const satisfies readonly ResourceType[];

const pageLimits = { instance: 100, disk: 500, snapshot: 100, security_group: 100, image: 100, vpc: 50, subnet: 50, redis: 50 } as const;

interface RegionClients {
  ecs: EcsSdk.default;
  vpc: VpcSdk.default;
  kvStore: KvStoreSdk.default;
}

interface EndpointOverride {
  host: string;
  protocol: 'http' | 'https';
}

/** Accepts `host:port` or a URL; tests and private clouds point every product at the same endpoint. */
function parseEndpoint(endpoint: string | undefined): EndpointOverride | undefined {
  if (!endpoint) return undefined;
  if (!/^[a-z]+:\/\//i.test(endpoint)) return { host: endpoint, protocol: 'https' };
  const url = new URL(endpoint);
  return { host: url.host, protocol: url.protocol === 'http:' ? 'http' : 'https' };
}

function parsePageNumber(token: string | undefined, type: ResourceType, region: string): number {
  if (token === undefined) return 1;
  if (!/^[1-9]\d{0,8}$/.test(token)) {
    throw new CloudRequestError(`page token ${JSON.stringify(token.slice(0, 40))} is not a page number issued by this provider`, {
      provider: 'aliyun',
      operation: `list ${type}`,
      region,
    });
  }
  return Number(token);
}

class AliyunSession implements CloudSession {
  readonly #credentials: z.output<typeof aliyunCredentialsSchema>;
  readonly #endpoint: EndpointOverride | undefined;
  readonly #outbound: OutboundPolicy;
  /** The endpoint override's host checked against the policy, once per session (a failed check is tried again). */
  #endpointAllowed: Promise<void> | undefined;
  readonly #pageSize: number;
  readonly #clients = new Map<string, RegionClients>();

  constructor(credentials: z.output<typeof aliyunCredentialsSchema>, endpoint: EndpointOverride | undefined, outbound: OutboundPolicy, pageSize: number) {
    this.#credentials = credentials;
    this.#endpoint = endpoint;
    this.#outbound = outbound;
    this.#pageSize = pageSize;
  }

  /**
   * The Alibaba SDK opens its own sockets (Tea's httpx with an Agent it makes per call) and takes no lookup hook, so
   * the override's host is checked here, before the first call, and not again at connect time: a name whose DNS
   * answer changes to a refused address after this check is not caught (the residual gap the README states). An IP
   * literal, the usual form of a private-cloud endpoint, is fully covered. httpx does not follow redirects.
   */
  #checkEndpoint(): Promise<void> {
    if (!this.#endpoint) return Promise.resolve();
    if (!this.#endpointAllowed) {
      const { host, protocol } = this.#endpoint;
      this.#endpointAllowed = this.#outbound.assertAllowed(new URL(`${protocol}://${host}`).hostname, `${protocol}://${host}`);
      this.#endpointAllowed.catch(() => (this.#endpointAllowed = undefined));
    }
    return this.#endpointAllowed;
  }

  #clientsFor(region: string): RegionClients {
    let clients = this.#clients.get(region);
    if (!clients) {
      const config = () => new $OpenApiUtil.Config({
        accessKeyId: this.#credentials.accessKeyId,
        accessKeySecret: this.#credentials.accessKeySecret,
        securityToken: this.#credentials.securityToken,
        regionId: region,
        endpoint: this.#endpoint?.host,
        protocol: this.#endpoint?.protocol,
        signatureAlgorithm: this.#credentials.signatureVersion === 'v2' ? 'v2' : undefined,
        connectTimeout: CLOUD_CONNECT_TIMEOUT_MS,
        readTimeout: CLOUD_CALL_TIMEOUT_MS,
      });
      clients = { ecs: new EcsSdk.default(config()), vpc: new VpcSdk.default(config()), kvStore: new KvStoreSdk.default(config()) };
      this.#clients.set(region, clients);
    }
    return clients;
  }

  async #call<T>(operation: string, region: string, send: () => Promise<{ body?: T }>): Promise<T> {
    let body: T | undefined;
    try {
      await this.#checkEndpoint();
      body = (await send()).body;
    } catch (error) {
      throw toCloudError(error, { operation, region });
    }
    if (body === undefined || body === null) {
      throw new CloudResponseError(`the ${operation} response has no body`, { provider: 'aliyun', operation, region });
    }
    return body;
  }

  #requireList<T>(list: T[] | undefined, path: string, operation: string, region: string): T[] {
    return requireResponseList(list, path, 'Alibaba Cloud', { provider: 'aliyun', operation, region });
  }

  async listRegions(): Promise<string[]> {
    const region = this.#credentials.homeRegion;
    const { ecs } = this.#clientsFor(region);
    const body = await this.#call('DescribeRegions', region, () => ecs.describeRegions(new EcsSdk.DescribeRegionsRequest({})));
    return this.#requireList(body.regions?.region, 'Regions.Region', 'DescribeRegions', region)
      .map((candidate) => candidate.regionId)
      .filter((regionId): regionId is string => Boolean(regionId));
  }

  async list(type: ResourceType, region: string, pageToken?: string): Promise<ResourcePage> {
    const { ecs, vpc, kvStore } = this.#clientsFor(region);
    const limit = (type in pageLimits ? pageLimits[type as keyof typeof pageLimits] : 50);
    const size = Math.min(Math.max(1, this.#pageSize), limit);
    const byToken = { regionId: region, maxResults: size, nextToken: pageToken };
    const tokenPage = <T>(items: T[], nextToken: string | undefined, normalize: (item: T) => NormalizedResource): ResourcePage =>
      nextToken ? { resources: items.map(normalize), nextPageToken: nextToken } : { resources: items.map(normalize) };
    const pageNumber = () => parsePageNumber(pageToken, type, region);
    const numberedPage = <T>(items: T[], totalCount: number | undefined, number: number, normalize: (item: T) => NormalizedResource): ResourcePage => {
      const more = totalCount !== undefined ? number * size < totalCount : items.length === size;
      return more && items.length > 0 ? { resources: items.map(normalize), nextPageToken: String(number + 1) } : { resources: items.map(normalize) };
    };

    switch (type) {
      case 'instance': {
        const body = await this.#call('DescribeInstances', region, () => ecs.describeInstances(new EcsSdk.DescribeInstancesRequest(byToken)));
        return tokenPage(this.#requireList(body.instances?.instance, 'Instances.Instance', 'DescribeInstances', region), body.nextToken, (item) => normalizeEcsInstance(item, region));
      }
      case 'disk': {
        const body = await this.#call('DescribeDisks', region, () => ecs.describeDisks(new EcsSdk.DescribeDisksRequest(byToken)));
        return tokenPage(this.#requireList(body.disks?.disk, 'Disks.Disk', 'DescribeDisks', region), body.nextToken, (item) => normalizeDisk(item, region));
      }
      case 'snapshot': {
        const body = await this.#call('DescribeSnapshots', region, () => ecs.describeSnapshots(new EcsSdk.DescribeSnapshotsRequest(byToken)));
        return tokenPage(this.#requireList(body.snapshots?.snapshot, 'Snapshots.Snapshot', 'DescribeSnapshots', region), body.nextToken, (item) => normalizeSnapshot(item, region));
      }
      case 'security_group': {
        const body = await this.#call('DescribeSecurityGroups', region, () => ecs.describeSecurityGroups(new EcsSdk.DescribeSecurityGroupsRequest(byToken)));
        return tokenPage(this.#requireList(body.securityGroups?.securityGroup, 'SecurityGroups.SecurityGroup', 'DescribeSecurityGroups', region), body.nextToken, (item) => normalizeSecurityGroup(item, region));
      }
      case 'image': {
        const number = pageNumber();
        const body = await this.#call('DescribeImages', region, () =>
          ecs.describeImages(new EcsSdk.DescribeImagesRequest({ regionId: region, imageOwnerAlias: 'self', pageNumber: number, pageSize: size })));
        return numberedPage(this.#requireList(body.images?.image, 'Images.Image', 'DescribeImages', region), body.totalCount, number, (item) => normalizeImage(item, region));
      }
      case 'vpc': {
        const number = pageNumber();
        const body = await this.#call('DescribeVpcs', region, () => vpc.describeVpcs(new VpcSdk.DescribeVpcsRequest({ regionId: region, pageNumber: number, pageSize: size })));
        return numberedPage(this.#requireList(body.vpcs?.vpc, 'Vpcs.Vpc', 'DescribeVpcs', region), body.totalCount, number, (item) => normalizeVpc(item, region));
      }
      case 'subnet': {
        const number = pageNumber();
        const body = await this.#call('DescribeVSwitches', region, () => vpc.describeVSwitches(new VpcSdk.DescribeVSwitchesRequest({ regionId: region, pageNumber: number, pageSize: size })));
        return numberedPage(this.#requireList(body.vSwitches?.vSwitch, 'VSwitches.VSwitch', 'DescribeVSwitches', region), body.totalCount, number, (item) => normalizeVSwitch(item, region));
      }
      case 'redis': {
        const number = pageNumber();
        const body = await this.#call('DescribeInstances', region, () =>
          kvStore.describeInstances(new KvStoreSdk.DescribeInstancesRequest({ regionId: region, instanceType: 'Redis', pageNumber: number, pageSize: size })));
        return numberedPage(this.#requireList(body.instances?.KVStoreInstance, 'Instances.KVStoreInstance', 'DescribeInstances', region), body.totalCount, number, (item) => normalizeKvStore(item, region));
      }
      case 'load_balancer':
        throw new CloudUnsupportedError('load balancers (SLB/ALB) are not synced from Alibaba Cloud yet', { provider: 'aliyun', operation: 'list load_balancer', region });
    }
  }

  close(): void {
    this.#clients.clear();
  }
}

export const aliyunProvider: CloudProvider<AliyunCredentials> = {
  id: 'aliyun',
  displayName: 'Alibaba Cloud',
  resourceTypes: aliyunResourceTypes,
  capabilities: [],
  credentialsSchema: aliyunCredentialsSchema,
  connect({ credentials, endpoint, outbound, pageSize }) {
    return new AliyunSession(aliyunCredentialsSchema.parse(credentials), parseEndpoint(endpoint), outbound, pageSize ?? 100);
  },
};
