// Turns AWS SDK v3 records into opsflow's normalized resources. Pure functions, one per resource type.
import type { Image, Instance, SecurityGroup, Snapshot, Subnet, Tag, Volume, Vpc } from '@aws-sdk/client-ec2';
import type { CacheCluster } from '@aws-sdk/client-elasticache';
import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { NormalizedResourceOf, ResourceRelation } from '../../provider.ts';

type TagList = { Key?: string | undefined; Value?: string | undefined }[] | undefined;

export function tagsOf(tags: TagList): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) result[tag.Key] = tag.Value ?? '';
  return result;
}

function nameTag(tags: Tag[] | undefined): string | undefined {
  return tags?.find((tag) => tag.Key === 'Name')?.Value;
}

function isoOf(date: Date | string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const parsed = date instanceof Date ? date : new Date(date);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => Boolean(value)))];
}

function relationsTo(kind: ResourceRelation['kind'], toType: ResourceRelation['toType'], ids: (string | undefined)[]): ResourceRelation[] {
  return unique(ids).map((toExternalId) => ({ kind, toType, toExternalId }) as ResourceRelation);
}

/** `loadBalancerArns`: the load balancers the instance is a registered target behind (EC2 does not say). */
export function normalizeInstance(instance: Instance, region: string, loadBalancerArns: readonly string[]): NormalizedResourceOf<'instance'> {
  const interfaces = instance.NetworkInterfaces ?? [];
  const privateIps = unique([
    instance.PrivateIpAddress,
    ...interfaces.flatMap((eni) => (eni.PrivateIpAddresses ?? []).map((address) => address.PrivateIpAddress)),
  ]);
  const publicIps = unique([
    instance.PublicIpAddress,
    ...interfaces.flatMap((eni) => (eni.PrivateIpAddresses ?? []).map((address) => address.Association?.PublicIp)),
  ]);
  const securityGroupIds = unique([
    ...(instance.SecurityGroups ?? []).map((group) => group.GroupId),
    ...interfaces.flatMap((eni) => (eni.Groups ?? []).map((group) => group.GroupId)),
  ]);
  const diskIds = unique((instance.BlockDeviceMappings ?? []).map((mapping) => mapping.Ebs?.VolumeId));
  const cores = instance.CpuOptions?.CoreCount;
  return {
    type: 'instance',
    region,
    zone: instance.Placement?.AvailabilityZone,
    externalId: instance.InstanceId ?? '',
    name: nameTag(instance.Tags),
    status: instance.State?.Name,
    attributes: {
      instanceType: instance.InstanceType ?? 'unknown',
      privateIps,
      publicIps,
      vpcId: instance.VpcId,
      subnetId: instance.SubnetId,
      imageId: instance.ImageId,
      securityGroupIds,
      diskIds,
      cpuCores: cores && cores > 0 ? cores * (instance.CpuOptions?.ThreadsPerCore ?? 1) : undefined,
      osName: instance.PlatformDetails,
      launchedAt: isoOf(instance.LaunchTime),
    },
    tags: tagsOf(instance.Tags),
    relations: [
      ...relationsTo('in_vpc', 'vpc', [instance.VpcId]),
      ...relationsTo('in_subnet', 'subnet', [instance.SubnetId]),
      ...relationsTo('from_image', 'image', [instance.ImageId]),
      ...relationsTo('uses_security_group', 'security_group', securityGroupIds),
      ...relationsTo('member_of', 'load_balancer', [...loadBalancerArns]),
    ],
    extra: {
      architecture: instance.Architecture,
      keyName: instance.KeyName,
      privateDnsName: instance.PrivateDnsName || undefined,
      publicDnsName: instance.PublicDnsName || undefined,
      iamInstanceProfileArn: instance.IamInstanceProfile?.Arn,
    },
    raw: instance,
  };
}

export function normalizeVpc(vpc: Vpc, region: string): NormalizedResourceOf<'vpc'> {
  return {
    type: 'vpc',
    region,
    externalId: vpc.VpcId ?? '',
    name: nameTag(vpc.Tags),
    status: vpc.State,
    attributes: { cidrBlock: vpc.CidrBlock, isDefault: vpc.IsDefault },
    tags: tagsOf(vpc.Tags),
    extra: { ownerId: vpc.OwnerId, instanceTenancy: vpc.InstanceTenancy },
    raw: vpc,
  };
}

export function normalizeSubnet(subnet: Subnet, region: string): NormalizedResourceOf<'subnet'> {
  return {
    type: 'subnet',
    region,
    zone: subnet.AvailabilityZone,
    externalId: subnet.SubnetId ?? '',
    name: nameTag(subnet.Tags),
    status: subnet.State,
    attributes: { vpcId: subnet.VpcId, cidrBlock: subnet.CidrBlock, availableIpCount: subnet.AvailableIpAddressCount },
    tags: tagsOf(subnet.Tags),
    relations: relationsTo('in_vpc', 'vpc', [subnet.VpcId]),
    extra: { defaultForAz: subnet.DefaultForAz, mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch },
    raw: subnet,
  };
}

export function normalizeVolume(volume: Volume, region: string): NormalizedResourceOf<'disk'> {
  const attachment = volume.Attachments?.find((candidate) => candidate.InstanceId);
  return {
    type: 'disk',
    region,
    zone: volume.AvailabilityZone,
    externalId: volume.VolumeId ?? '',
    name: nameTag(volume.Tags),
    status: volume.State,
    attributes: {
      sizeGb: volume.Size ?? 0,
      instanceId: attachment?.InstanceId,
      device: attachment?.Device,
      diskType: volume.VolumeType,
      encrypted: volume.Encrypted,
      snapshotId: volume.SnapshotId || undefined,
    },
    tags: tagsOf(volume.Tags),
    relations: relationsTo('attached_to', 'instance', (volume.Attachments ?? []).map((candidate) => candidate.InstanceId)),
    extra: { iops: volume.Iops, throughput: volume.Throughput, kmsKeyId: volume.KmsKeyId },
    raw: volume,
  };
}

export function normalizeSnapshot(snapshot: Snapshot, region: string): NormalizedResourceOf<'snapshot'> {
  return {
    type: 'snapshot',
    region,
    externalId: snapshot.SnapshotId ?? '',
    name: nameTag(snapshot.Tags),
    status: snapshot.State,
    attributes: {
      diskId: snapshot.VolumeId || undefined,
      sizeGb: snapshot.VolumeSize,
      progress: snapshot.Progress,
      createdAt: isoOf(snapshot.StartTime),
    },
    tags: tagsOf(snapshot.Tags),
    relations: relationsTo('snapshot_of', 'disk', [snapshot.VolumeId]),
    extra: { description: snapshot.Description, encrypted: snapshot.Encrypted, ownerId: snapshot.OwnerId },
    raw: snapshot,
  };
}

export function normalizeImage(image: Image, region: string): NormalizedResourceOf<'image'> {
  const sizes = (image.BlockDeviceMappings ?? []).map((mapping) => mapping.Ebs?.VolumeSize ?? 0);
  return {
    type: 'image',
    region,
    externalId: image.ImageId ?? '',
    name: image.Name,
    status: image.State,
    attributes: {
      osName: image.PlatformDetails ?? image.Description ?? undefined,
      architecture: image.Architecture,
      sizeGb: sizes.length ? sizes.reduce((sum, size) => sum + size, 0) : undefined,
      createdAt: isoOf(image.CreationDate),
    },
    tags: tagsOf(image.Tags),
    extra: { public: image.Public, ownerId: image.OwnerId, sourceInstanceId: image.SourceInstanceId },
    raw: image,
  };
}

export function normalizeSecurityGroup(group: SecurityGroup, region: string): NormalizedResourceOf<'security_group'> {
  return {
    type: 'security_group',
    region,
    externalId: group.GroupId ?? '',
    name: group.GroupName,
    attributes: { vpcId: group.VpcId, description: group.Description },
    tags: tagsOf(group.Tags),
    relations: relationsTo('in_vpc', 'vpc', [group.VpcId]),
    extra: { ingressRuleCount: group.IpPermissions?.length ?? 0, egressRuleCount: group.IpPermissionsEgress?.length ?? 0 },
    raw: group,
  };
}

export interface CacheSubnetGroupPlacement {
  vpcId?: string;
  subnetIds: string[];
}

export function normalizeCacheCluster(
  cluster: CacheCluster,
  region: string,
  subnetGroup: CacheSubnetGroupPlacement | undefined,
  tags: Record<string, string>,
): NormalizedResourceOf<'redis'> {
  const node = cluster.CacheNodes?.find((candidate) => candidate.Endpoint?.Address);
  const endpoint = cluster.ConfigurationEndpoint?.Address ? cluster.ConfigurationEndpoint : node?.Endpoint;
  const securityGroupIds = unique((cluster.SecurityGroups ?? []).map((group) => group.SecurityGroupId));
  const nodeSubnet = subnetGroup?.subnetIds.length === 1 ? subnetGroup.subnetIds[0] : undefined;
  return {
    type: 'redis',
    region,
    zone: cluster.PreferredAvailabilityZone,
    externalId: cluster.CacheClusterId ?? '',
    name: cluster.CacheClusterId,
    status: cluster.CacheClusterStatus,
    attributes: {
      engineVersion: cluster.EngineVersion,
      nodeType: cluster.CacheNodeType,
      endpoint: endpoint?.Address && endpoint.Port ? { host: endpoint.Address, port: endpoint.Port } : undefined,
      vpcId: subnetGroup?.vpcId,
      subnetId: nodeSubnet,
      securityGroupIds,
    },
    tags,
    relations: [
      ...relationsTo('in_vpc', 'vpc', [subnetGroup?.vpcId]),
      ...relationsTo('in_subnet', 'subnet', subnetGroup?.subnetIds ?? []),
      ...relationsTo('uses_security_group', 'security_group', securityGroupIds),
    ],
    extra: {
      arn: cluster.ARN,
      engine: cluster.Engine,
      nodeCount: cluster.NumCacheNodes,
      replicationGroupId: cluster.ReplicationGroupId,
      cacheSubnetGroupName: cluster.CacheSubnetGroupName,
    },
    raw: cluster,
  };
}

export function normalizeLoadBalancer(
  loadBalancer: LoadBalancer,
  region: string,
  tags: Record<string, string>,
): NormalizedResourceOf<'load_balancer'> {
  const zones = loadBalancer.AvailabilityZones ?? [];
  const subnetIds = unique(zones.map((zone) => zone.SubnetId));
  const securityGroupIds = unique(loadBalancer.SecurityGroups ?? []);
  return {
    type: 'load_balancer',
    region,
    externalId: loadBalancer.LoadBalancerArn ?? '',
    name: loadBalancer.LoadBalancerName,
    status: loadBalancer.State?.Code,
    attributes: {
      scheme: loadBalancer.Scheme === 'internal' ? 'internal' : loadBalancer.Scheme === 'internet-facing' ? 'internet' : undefined,
      dnsName: loadBalancer.DNSName,
      addresses: unique(zones.flatMap((zone) => (zone.LoadBalancerAddresses ?? []).map((address) => address.IpAddress ?? address.PrivateIPv4Address))),
      vpcId: loadBalancer.VpcId,
      subnetIds,
      securityGroupIds,
    },
    tags,
    relations: [
      ...relationsTo('in_vpc', 'vpc', [loadBalancer.VpcId]),
      ...relationsTo('in_subnet', 'subnet', subnetIds),
      ...relationsTo('uses_security_group', 'security_group', securityGroupIds),
    ],
    extra: { loadBalancerType: loadBalancer.Type, ipAddressType: loadBalancer.IpAddressType, canonicalHostedZoneId: loadBalancer.CanonicalHostedZoneId },
    raw: loadBalancer,
  };
}
