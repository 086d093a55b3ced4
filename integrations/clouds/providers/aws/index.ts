// Amazon Web Services through the AWS SDK v3: EC2 (instances, VPCs, subnets, volumes, snapshots, images,
// security groups), ElastiCache (Redis) and ELBv2 (load balancers). Page tokens are the APIs' own tokens.
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { _InstanceType } from '@aws-sdk/client-ec2';
import {
  DescribeCacheClustersCommand,
  DescribeCacheSubnetGroupsCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import type { CacheCluster } from '@aws-sdk/client-elasticache';
import {
  DeregisterTargetsCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { CloudNotFoundError, CloudResponseError, requireResponseList } from '../../errors.ts';
import { CLOUD_CALL_TIMEOUT_MS, CLOUD_CONNECT_TIMEOUT_MS, resourceTypes } from '../../provider.ts';
import type { OutboundPolicy } from '../../../outbound/policy.ts';
import type {
  CloudProvider,
  CloudSession,
  CreateInstanceInput,
  InstanceLifecycle,
  LoadBalancerTargets,
  NormalizedResource,
  NormalizedResourceOf,
  ResourcePage,
  ResourceType,
} from '../../provider.ts';
import { toCloudError } from './errors.ts';
import {
  normalizeCacheCluster,
  normalizeImage,
  normalizeInstance,
  normalizeLoadBalancer,
  normalizeSecurityGroup,
  normalizeSnapshot,
  normalizeSubnet,
  normalizeVolume,
  normalizeVpc,
  tagsOf,
} from './normalize.ts';
import type { CacheSubnetGroupPlacement } from './normalize.ts';

export const awsCredentialsSchema = z.object({
  accessKeyId: z.string().min(16, 'must be an AWS access key id').max(128),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
  /** Region used for account-wide calls such as DescribeRegions. */
  homeRegion: z.string().min(1).default('us-east-1'),
});
export type AwsCredentials = z.input<typeof awsCredentialsSchema>;

/** Instances in these states no longer exist for the inventory, though EC2 shows them for about an hour. */
const liveInstanceStates = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/**
 * Per-resource follow-up calls (one per cache cluster, one per target group) run this many at a time: enough to
 * keep a page from taking a round trip per item, few enough not to trip the per-account API rate limits.
 */
const followUpConcurrency = 5;

/** Applies `work` to every item with at most `limit` calls in flight; results keep the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    // Once one call failed the page fails anyway, so the remaining items are not started.
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface RegionClients {
  ec2: EC2Client;
  elastiCache: ElastiCacheClient;
  elbv2: ElasticLoadBalancingV2Client;
}

class AwsSession implements CloudSession, InstanceLifecycle, LoadBalancerTargets {
  readonly #credentials: z.output<typeof awsCredentialsSchema>;
  readonly #endpoint: string | undefined;
  readonly #outbound: OutboundPolicy;
  /** The endpoint override's host checked against the policy, once per session (a failed check is tried again). */
  #endpointAllowed: Promise<void> | undefined;
  readonly #pageSize: number;
  readonly #clients = new Map<string, RegionClients>();
  readonly #cacheSubnetGroups = new Map<string, Promise<Map<string, CacheSubnetGroupPlacement>>>();
  readonly #loadBalancersByInstance = new Map<string, Promise<Map<string, string[]>>>();

  constructor(credentials: z.output<typeof awsCredentialsSchema>, endpoint: string | undefined, outbound: OutboundPolicy, pageSize: number) {
    this.#credentials = credentials;
    this.#endpoint = endpoint;
    this.#outbound = outbound;
    this.#pageSize = pageSize;
  }

  /**
   * An endpoint override is dialled only through the policy: its sockets resolve names with the policy's lookup,
   * which refuses a denied address at connect time. The public AWS endpoints are not user-configured.
   */
  #requestHandler() {
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes; a bounded call is what
    // lets a cancelled or shut-down listing stop within one call.
    const bounds = { requestTimeout: CLOUD_CALL_TIMEOUT_MS, socketTimeout: CLOUD_CALL_TIMEOUT_MS, throwOnRequestTimeout: true, connectionTimeout: CLOUD_CONNECT_TIMEOUT_MS };
    if (!this.#endpoint) return bounds;
    const lookup = this.#outbound.lookup;
    return { ...bounds, httpAgent: { lookup, keepAlive: true }, httpsAgent: { lookup, keepAlive: true } };
  }

  /** An IP literal is never looked up, so the override's host is checked before the first call as well. */
  #checkEndpoint(): Promise<void> {
    if (!this.#endpoint) return Promise.resolve();
    if (!this.#endpointAllowed) {
      const url = new URL(this.#endpoint);
      this.#endpointAllowed = this.#outbound.assertAllowed(url.hostname, `${url.protocol}//${url.host}`);
      this.#endpointAllowed.catch(() => (this.#endpointAllowed = undefined));
    }
    return this.#endpointAllowed;
  }

  #clientsFor(region: string): RegionClients {
    let clients = this.#clients.get(region);
    if (!clients) {
      const config = {
        region,
        endpoint: this.#endpoint,
        credentials: {
          accessKeyId: this.#credentials.accessKeyId,
          secretAccessKey: this.#credentials.secretAccessKey,
          sessionToken: this.#credentials.sessionToken,
        },
        // Retries belong to the caller (a Temporal activity retry policy), which sees the typed error.
        maxAttempts: 1,
        requestHandler: this.#requestHandler(),
      };
      clients = { ec2: new EC2Client(config), elastiCache: new ElastiCacheClient(config), elbv2: new ElasticLoadBalancingV2Client(config) };
      this.#clients.set(region, clients);
    }
    return clients;
  }

  async #call<T>(operation: string, region: string, send: () => Promise<T>): Promise<T> {
    try {
      await this.#checkEndpoint();
      return await send();
    } catch (error) {
      throw toCloudError(error, { operation, region });
    }
  }

  #requireList<T>(list: T[] | undefined, field: string, operation: string, region: string): T[] {
    return requireResponseList(list, field, 'AWS', { provider: 'aws', operation, region });
  }

  /**
   * Region-wide lookups are loaded once per session and region. A failed load is forgotten, so a later page of
   * the same session tries again rather than repeating the cached failure.
   */
  #oncePerRegion<T>(cache: Map<string, Promise<T>>, region: string, load: () => Promise<T>): Promise<T> {
    let loaded = cache.get(region);
    if (!loaded) {
      loaded = load();
      loaded.catch(() => cache.delete(region));
      cache.set(region, loaded);
    }
    return loaded;
  }

  async listRegions(): Promise<string[]> {
    const region = this.#credentials.homeRegion;
    const output = await this.#call('DescribeRegions', region, () => this.#clientsFor(region).ec2.send(new DescribeRegionsCommand({})));
    return this.#requireList(output.Regions, 'Regions', 'DescribeRegions', region)
      .filter((candidate) => candidate.OptInStatus !== 'not-opted-in')
      .map((candidate) => candidate.RegionName)
      .filter((name): name is string => Boolean(name));
  }

  async list(type: ResourceType, region: string, pageToken?: string): Promise<ResourcePage> {
    const { ec2 } = this.#clientsFor(region);
    const ec2Page = { MaxResults: clamp(this.#pageSize, 5, 1000), NextToken: pageToken };
    const page = <T>(resources: T[], nextPageToken: string | undefined, normalize: (item: T) => NormalizedResource): ResourcePage =>
      nextPageToken ? { resources: resources.map(normalize), nextPageToken } : { resources: resources.map(normalize) };

    switch (type) {
      case 'instance': {
        const output = await this.#call('DescribeInstances', region, () =>
          ec2.send(new DescribeInstancesCommand({ ...ec2Page, Filters: [{ Name: 'instance-state-name', Values: liveInstanceStates }] })));
        const instances = this.#requireList(output.Reservations, 'Reservations', 'DescribeInstances', region).flatMap((reservation) => reservation.Instances ?? []);
        const memberships = instances.length ? await this.#loadBalancersByInstanceIn(region) : new Map<string, string[]>();
        return page(instances, output.NextToken, (instance) => normalizeInstance(instance, region, memberships.get(instance.InstanceId ?? '') ?? []));
      }
      case 'vpc': {
        const output = await this.#call('DescribeVpcs', region, () => ec2.send(new DescribeVpcsCommand(ec2Page)));
        return page(this.#requireList(output.Vpcs, 'Vpcs', 'DescribeVpcs', region), output.NextToken, (vpc) => normalizeVpc(vpc, region));
      }
      case 'subnet': {
        const output = await this.#call('DescribeSubnets', region, () => ec2.send(new DescribeSubnetsCommand(ec2Page)));
        return page(this.#requireList(output.Subnets, 'Subnets', 'DescribeSubnets', region), output.NextToken, (subnet) => normalizeSubnet(subnet, region));
      }
      case 'disk': {
        const output = await this.#call('DescribeVolumes', region, () => ec2.send(new DescribeVolumesCommand(ec2Page)));
        return page(this.#requireList(output.Volumes, 'Volumes', 'DescribeVolumes', region), output.NextToken, (volume) => normalizeVolume(volume, region));
      }
      case 'snapshot': {
        const output = await this.#call('DescribeSnapshots', region, () => ec2.send(new DescribeSnapshotsCommand({ ...ec2Page, OwnerIds: ['self'] })));
        return page(this.#requireList(output.Snapshots, 'Snapshots', 'DescribeSnapshots', region), output.NextToken, (snapshot) => normalizeSnapshot(snapshot, region));
      }
      case 'image': {
        const output = await this.#call('DescribeImages', region, () => ec2.send(new DescribeImagesCommand({ ...ec2Page, Owners: ['self'] })));
        return page(this.#requireList(output.Images, 'Images', 'DescribeImages', region), output.NextToken, (image) => normalizeImage(image, region));
      }
      case 'security_group': {
        const output = await this.#call('DescribeSecurityGroups', region, () => ec2.send(new DescribeSecurityGroupsCommand(ec2Page)));
        return page(this.#requireList(output.SecurityGroups, 'SecurityGroups', 'DescribeSecurityGroups', region), output.NextToken, (group) => normalizeSecurityGroup(group, region));
      }
      case 'redis':
        return this.#listRedis(region, pageToken);
      case 'load_balancer':
        return this.#listLoadBalancers(region, pageToken);
    }
  }

  async #listRedis(region: string, marker: string | undefined): Promise<ResourcePage> {
    const { elastiCache } = this.#clientsFor(region);
    const output = await this.#call('DescribeCacheClusters', region, () =>
      elastiCache.send(new DescribeCacheClustersCommand({ MaxRecords: clamp(this.#pageSize, 20, 100), Marker: marker, ShowCacheNodeInfo: true })));
    const clusters = this.#requireList(output.CacheClusters, 'CacheClusters', 'DescribeCacheClusters', region)
      .filter((cluster) => cluster.Engine === 'redis' || cluster.Engine === 'valkey');
    const subnetGroups = clusters.some((cluster) => cluster.CacheSubnetGroupName) ? await this.#cacheSubnetGroupsIn(region) : new Map();
    const tagged = await mapConcurrently(clusters, followUpConcurrency, async (cluster) => ({ cluster, tags: await this.#cacheClusterTags(cluster, region) }));
    const resources = tagged
      .filter((entry): entry is { cluster: CacheCluster; tags: Record<string, string> } => entry.tags !== undefined)
      .map(({ cluster, tags }) => normalizeCacheCluster(cluster, region, subnetGroups.get(cluster.CacheSubnetGroupName ?? ''), tags));
    return output.Marker ? { resources, nextPageToken: output.Marker } : { resources };
  }

  /**
   * ElastiCache has no batch tag call and DescribeCacheClusters carries no tags: one ListTagsForResource per
   * cluster ARN. Undefined means the cluster was deleted between the two calls, so it is no longer inventory.
   */
  async #cacheClusterTags(cluster: CacheCluster, region: string): Promise<Record<string, string> | undefined> {
    if (!cluster.ARN) return {};
    const { elastiCache } = this.#clientsFor(region);
    try {
      const output = await this.#call('ListTagsForResource', region, () => elastiCache.send(new ListTagsForResourceCommand({ ResourceName: cluster.ARN })));
      return tagsOf(output.TagList);
    } catch (error) {
      if (error instanceof CloudNotFoundError) return undefined;
      throw error;
    }
  }

  /** Cache clusters name their subnet group only; the VPC and subnets come from the group, fetched once per session. */
  #cacheSubnetGroupsIn(region: string): Promise<Map<string, CacheSubnetGroupPlacement>> {
    return this.#oncePerRegion(this.#cacheSubnetGroups, region, async () => {
      const { elastiCache } = this.#clientsFor(region);
      const placements = new Map<string, CacheSubnetGroupPlacement>();
      let marker: string | undefined;
      do {
        const output = await this.#call('DescribeCacheSubnetGroups', region, () =>
          elastiCache.send(new DescribeCacheSubnetGroupsCommand({ MaxRecords: 100, Marker: marker })));
        for (const group of this.#requireList(output.CacheSubnetGroups, 'CacheSubnetGroups', 'DescribeCacheSubnetGroups', region)) {
          if (!group.CacheSubnetGroupName) continue;
          placements.set(group.CacheSubnetGroupName, {
            vpcId: group.VpcId,
            subnetIds: (group.Subnets ?? []).map((subnet) => subnet.SubnetIdentifier).filter((id): id is string => Boolean(id)),
          });
        }
        marker = output.Marker;
      } while (marker);
      return placements;
    });
  }

  /**
   * Instance id -> ARNs of the load balancers it serves behind, for the whole region, loaded once per session on
   * its first instance page: EC2 does not know about load balancers, and asking ELBv2 per instance or per page
   * would repeat the same region-wide walk. An instance is a member when it is a registered target of a target
   * group that a load balancer forwards to. Only `instance` target groups count: `ip` targets name addresses and
   * `lambda` targets functions, neither of which says which instance (if any) serves. The ARNs are the
   * LoadBalancerArn that the load_balancer listing uses as externalId, so the relation resolves to that record.
   */
  #loadBalancersByInstanceIn(region: string): Promise<Map<string, string[]>> {
    return this.#oncePerRegion(this.#loadBalancersByInstance, region, async () => {
      const { elbv2 } = this.#clientsFor(region);
      const targetGroups: { arn: string; loadBalancerArns: string[] }[] = [];
      let marker: string | undefined;
      do {
        const output = await this.#call('DescribeTargetGroups', region, () => elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 400, Marker: marker })));
        for (const group of this.#requireList(output.TargetGroups, 'TargetGroups', 'DescribeTargetGroups', region)) {
          const loadBalancerArns = group.LoadBalancerArns ?? [];
          // A group no load balancer uses sends no traffic, so its targets are members of nothing.
          if (group.TargetGroupArn && (group.TargetType ?? 'instance') === 'instance' && loadBalancerArns.length) {
            targetGroups.push({ arn: group.TargetGroupArn, loadBalancerArns });
          }
        }
        marker = output.NextMarker;
      } while (marker);

      const members = new Map<string, Set<string>>();
      await mapConcurrently(targetGroups, followUpConcurrency, async (group) => {
        const output = await this.#call('DescribeTargetHealth', region, () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.arn })));
        for (const description of this.#requireList(output.TargetHealthDescriptions, 'TargetHealthDescriptions', 'DescribeTargetHealth', region)) {
          const instanceId = description.Target?.Id;
          // A draining target has been deregistered (or its instance terminated) and only finishes open requests.
          if (!instanceId || description.TargetHealth?.State === 'draining') continue;
          const loadBalancers = members.get(instanceId) ?? new Set<string>();
          for (const arn of group.loadBalancerArns) loadBalancers.add(arn);
          members.set(instanceId, loadBalancers);
        }
      });
      return new Map([...members].map(([instanceId, arns]) => [instanceId, [...arns].sort()]));
    });
  }

  async #listLoadBalancers(region: string, marker: string | undefined): Promise<ResourcePage> {
    const { elbv2 } = this.#clientsFor(region);
    const output = await this.#call('DescribeLoadBalancers', region, () =>
      elbv2.send(new DescribeLoadBalancersCommand({ PageSize: clamp(this.#pageSize, 1, 400), Marker: marker })));
    const loadBalancers = this.#requireList(output.LoadBalancers, 'LoadBalancers', 'DescribeLoadBalancers', region);
    const arns = loadBalancers.map((loadBalancer) => loadBalancer.LoadBalancerArn).filter((arn): arn is string => Boolean(arn));
    const tagsByArn = new Map<string, Record<string, string>>();
    // DescribeTags takes at most 20 ARNs per call.
    for (let start = 0; start < arns.length; start += 20) {
      const tagged = await this.#call('DescribeTags', region, () => elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(start, start + 20) })));
      for (const description of tagged.TagDescriptions ?? []) {
        if (description.ResourceArn) tagsByArn.set(description.ResourceArn, tagsOf(description.Tags));
      }
    }
    const resources = loadBalancers.map((loadBalancer) => normalizeLoadBalancer(loadBalancer, region, tagsByArn.get(loadBalancer.LoadBalancerArn ?? '') ?? {}));
    return output.NextMarker ? { resources, nextPageToken: output.NextMarker } : { resources };
  }

  async createInstance(input: CreateInstanceInput): Promise<NormalizedResourceOf<'instance'>> {
    const { ec2 } = this.#clientsFor(input.region);
    const tags = { ...input.tags, Name: input.name };
    const output = await this.#call('RunInstances', input.region, () =>
      ec2.send(new RunInstancesCommand({
        ImageId: input.imageId,
        InstanceType: input.instanceType as _InstanceType,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: input.subnetId,
        SecurityGroupIds: input.securityGroupIds,
        Placement: input.zone ? { AvailabilityZone: input.zone } : undefined,
        // EC2 returns the first instance again for a repeated token, which makes a retried activity harmless.
        ClientToken: input.idempotencyKey,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      })));
    const instance = this.#requireList(output.Instances, 'Instances', 'RunInstances', input.region)[0];
    if (!instance) {
      throw new CloudResponseError('RunInstances answered without an instance', { provider: 'aws', operation: 'RunInstances', region: input.region });
    }
    // A new instance is registered with no target group yet.
    return normalizeInstance(instance, input.region, []);
  }

  async terminateInstance(region: string, instanceId: string): Promise<void> {
    const { ec2 } = this.#clientsFor(region);
    await this.#call('TerminateInstances', region, () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
  }

  /** ELBv2 balances to target groups: an instance joins every instance-type target group of the load balancer. */
  async #targetGroupsOf(region: string, loadBalancerArn: string): Promise<string[]> {
    const { elbv2 } = this.#clientsFor(region);
    const output = await this.#call('DescribeTargetGroups', region, () =>
      elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancerArn })));
    return (output.TargetGroups ?? [])
      .filter((group) => group.TargetType === undefined || group.TargetType === 'instance')
      .map((group) => group.TargetGroupArn)
      .filter((arn): arn is string => Boolean(arn));
  }

  async registerTargets(region: string, loadBalancerId: string, instanceIds: string[]): Promise<void> {
    const { elbv2 } = this.#clientsFor(region);
    for (const targetGroupArn of await this.#targetGroupsOf(region, loadBalancerId)) {
      await this.#call('RegisterTargets', region, () =>
        elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: instanceIds.map((Id) => ({ Id })) })));
    }
  }

  async deregisterTargets(region: string, loadBalancerId: string, instanceIds: string[]): Promise<void> {
    const { elbv2 } = this.#clientsFor(region);
    for (const targetGroupArn of await this.#targetGroupsOf(region, loadBalancerId)) {
      await this.#call('DeregisterTargets', region, () =>
        elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: instanceIds.map((Id) => ({ Id })) })));
    }
  }

  close(): void {
    for (const clients of this.#clients.values()) {
      clients.ec2.destroy();
      clients.elastiCache.destroy();
      clients.elbv2.destroy();
    }
    this.#clients.clear();
  }
}

export const awsProvider: CloudProvider<AwsCredentials> = {
  id: 'aws',
  displayName: 'Amazon Web Services',
  resourceTypes,
  capabilities: ['instanceLifecycle', 'loadBalancerTargets'],
  credentialsSchema: awsCredentialsSchema,
  connect({ credentials, endpoint, outbound, pageSize }) {
    return new AwsSession(awsCredentialsSchema.parse(credentials), endpoint, outbound, pageSize ?? 1000);
  },
};
