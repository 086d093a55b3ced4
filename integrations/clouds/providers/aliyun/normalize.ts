// Turns Alibaba Cloud SDK records (ECS, VPC, KVStore) into opsflow's normalized resources.
import type {
  DescribeDisksResponseBodyDisksDisk,
  DescribeImagesResponseBodyImagesImage,
  DescribeInstancesResponseBodyInstancesInstance,
  DescribeSecurityGroupsResponseBodySecurityGroupsSecurityGroup,
  DescribeSnapshotsResponseBodySnapshotsSnapshot,
} from '@alicloud/ecs20140526';
import type { DescribeVSwitchesResponseBodyVSwitchesVSwitch, DescribeVpcsResponseBodyVpcsVpc } from '@alicloud/vpc20160428';
import type { DescribeInstancesResponseBodyInstancesKVStoreInstance } from '@alicloud/r-kvstore20150101';
import type { NormalizedResourceOf, ResourceRelation } from '../../provider.ts';

interface SdkModel {
  toMap(): Record<string, unknown>;
}

/** `raw` keeps the documented PascalCase record, not the SDK's camelCase model. */
function rawOf(model: SdkModel): Record<string, unknown> {
  return model.toMap();
}

function ecsTags(tags: { tag?: { tagKey?: string; tagValue?: string }[] } | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags?.tag ?? []) if (tag.tagKey) result[tag.tagKey] = tag.tagValue ?? '';
  return result;
}

function keyValueTags(tags: { tag?: { key?: string; value?: string }[] } | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const tag of tags?.tag ?? []) if (tag.key) result[tag.key] = tag.value ?? '';
  return result;
}

/** Alibaba writes times with minute precision (2024-01-01T08:00Z); normalized times are full ISO 8601. */
function isoOf(time: string | undefined): string | undefined {
  if (!time) return undefined;
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

function present(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => Boolean(value)))];
}

function relationsTo(kind: ResourceRelation['kind'], toType: ResourceRelation['toType'], ids: (string | undefined)[]): ResourceRelation[] {
  return present(ids).map((toExternalId) => ({ kind, toType, toExternalId }) as ResourceRelation);
}

function lower(status: string | undefined): string | undefined {
  return status?.toLowerCase();
}

export function normalizeEcsInstance(instance: DescribeInstancesResponseBodyInstancesInstance & SdkModel, region: string): NormalizedResourceOf<'instance'> {
  const vpc = instance.vpcAttributes;
  const securityGroupIds = present(instance.securityGroupIds?.securityGroupId ?? []);
  return {
    type: 'instance',
    region,
    zone: instance.zoneId,
    externalId: instance.instanceId ?? '',
    name: instance.instanceName,
    status: lower(instance.status),
    attributes: {
      instanceType: instance.instanceType ?? 'unknown',
      privateIps: present([...(vpc?.privateIpAddress?.ipAddress ?? []), ...(instance.innerIpAddress?.ipAddress ?? [])]),
      publicIps: present([...(instance.publicIpAddress?.ipAddress ?? []), instance.eipAddress?.ipAddress]),
      vpcId: vpc?.vpcId || undefined,
      subnetId: vpc?.vSwitchId || undefined,
      imageId: instance.imageId || undefined,
      securityGroupIds,
      // DescribeInstances does not name an instance's disks; each disk's attached_to relation does.
      diskIds: [],
      cpuCores: instance.cpu || undefined,
      memoryMb: instance.memory || undefined,
      osName: instance.OSName || undefined,
      launchedAt: isoOf(instance.creationTime),
    },
    tags: ecsTags(instance.tags),
    relations: [
      ...relationsTo('in_vpc', 'vpc', [vpc?.vpcId]),
      ...relationsTo('in_subnet', 'subnet', [vpc?.vSwitchId]),
      ...relationsTo('from_image', 'image', [instance.imageId]),
      ...relationsTo('uses_security_group', 'security_group', securityGroupIds),
    ],
    extra: {
      hostName: instance.hostName,
      chargeType: instance.instanceChargeType,
      expiresAt: isoOf(instance.expiredTime),
      eipAllocationId: instance.eipAddress?.allocationId || undefined,
    },
    raw: rawOf(instance),
  };
}

export function normalizeDisk(disk: DescribeDisksResponseBodyDisksDisk & SdkModel, region: string): NormalizedResourceOf<'disk'> {
  return {
    type: 'disk',
    region,
    zone: disk.zoneId,
    externalId: disk.diskId ?? '',
    name: disk.diskName,
    status: lower(disk.status),
    attributes: {
      sizeGb: disk.size ?? 0,
      instanceId: disk.instanceId || undefined,
      device: disk.device || undefined,
      diskType: disk.category,
      encrypted: disk.encrypted,
      snapshotId: disk.sourceSnapshotId || undefined,
    },
    tags: ecsTags(disk.tags),
    relations: relationsTo('attached_to', 'instance', [disk.instanceId]),
    extra: { role: disk.type, deleteWithInstance: disk.deleteWithInstance, portable: disk.portable },
    raw: rawOf(disk),
  };
}

export function normalizeSnapshot(snapshot: DescribeSnapshotsResponseBodySnapshotsSnapshot & SdkModel, region: string): NormalizedResourceOf<'snapshot'> {
  const size = Number(snapshot.sourceDiskSize);
  return {
    type: 'snapshot',
    region,
    externalId: snapshot.snapshotId ?? '',
    name: snapshot.snapshotName,
    status: lower(snapshot.status),
    attributes: {
      diskId: snapshot.sourceDiskId || undefined,
      sizeGb: Number.isFinite(size) && snapshot.sourceDiskSize ? size : undefined,
      progress: snapshot.progress,
      createdAt: isoOf(snapshot.creationTime),
    },
    tags: ecsTags(snapshot.tags),
    relations: relationsTo('snapshot_of', 'disk', [snapshot.sourceDiskId]),
    extra: { sourceDiskType: snapshot.sourceDiskType, encrypted: snapshot.encrypted, usage: snapshot.usage },
    raw: rawOf(snapshot),
  };
}

export function normalizeImage(image: DescribeImagesResponseBodyImagesImage & SdkModel, region: string): NormalizedResourceOf<'image'> {
  return {
    type: 'image',
    region,
    externalId: image.imageId ?? '',
    name: image.imageName,
    status: lower(image.status),
    attributes: {
      osName: image.OSName || undefined,
      architecture: image.architecture,
      sizeGb: image.size,
      createdAt: isoOf(image.creationTime),
    },
    tags: ecsTags(image.tags),
    extra: { platform: image.platform, ownerAlias: image.imageOwnerAlias },
    raw: rawOf(image),
  };
}

export function normalizeSecurityGroup(group: DescribeSecurityGroupsResponseBodySecurityGroupsSecurityGroup & SdkModel, region: string): NormalizedResourceOf<'security_group'> {
  return {
    type: 'security_group',
    region,
    externalId: group.securityGroupId ?? '',
    name: group.securityGroupName,
    attributes: { vpcId: group.vpcId || undefined, description: group.description },
    tags: ecsTags(group.tags),
    relations: relationsTo('in_vpc', 'vpc', [group.vpcId]),
    extra: { securityGroupType: group.securityGroupType },
    raw: rawOf(group),
  };
}

export function normalizeVpc(vpc: DescribeVpcsResponseBodyVpcsVpc & SdkModel, region: string): NormalizedResourceOf<'vpc'> {
  return {
    type: 'vpc',
    region,
    externalId: vpc.vpcId ?? '',
    name: vpc.vpcName,
    status: lower(vpc.status),
    attributes: { cidrBlock: vpc.cidrBlock, isDefault: vpc.isDefault },
    tags: keyValueTags(vpc.tags),
    extra: { description: vpc.description || undefined },
    raw: rawOf(vpc),
  };
}

export function normalizeVSwitch(vSwitch: DescribeVSwitchesResponseBodyVSwitchesVSwitch & SdkModel, region: string): NormalizedResourceOf<'subnet'> {
  return {
    type: 'subnet',
    region,
    zone: vSwitch.zoneId,
    externalId: vSwitch.vSwitchId ?? '',
    name: vSwitch.vSwitchName,
    status: lower(vSwitch.status),
    attributes: { vpcId: vSwitch.vpcId, cidrBlock: vSwitch.cidrBlock, availableIpCount: vSwitch.availableIpAddressCount },
    tags: keyValueTags(vSwitch.tags),
    relations: relationsTo('in_vpc', 'vpc', [vSwitch.vpcId]),
    extra: { isDefault: vSwitch.isDefault },
    raw: rawOf(vSwitch),
  };
}

export function normalizeKvStore(instance: DescribeInstancesResponseBodyInstancesKVStoreInstance & SdkModel, region: string): NormalizedResourceOf<'redis'> {
  return {
    type: 'redis',
    region,
    zone: instance.zoneId,
    externalId: instance.instanceId ?? '',
    name: instance.instanceName,
    status: lower(instance.instanceStatus),
    attributes: {
      engineVersion: instance.engineVersion,
      nodeType: instance.instanceClass,
      capacityMb: instance.capacity,
      endpoint: instance.connectionDomain && instance.port ? { host: instance.connectionDomain, port: instance.port } : undefined,
      vpcId: instance.vpcId || undefined,
      subnetId: instance.vSwitchId || undefined,
      securityGroupIds: [],
    },
    tags: keyValueTags(instance.tags),
    relations: [...relationsTo('in_vpc', 'vpc', [instance.vpcId]), ...relationsTo('in_subnet', 'subnet', [instance.vSwitchId])],
    extra: { privateIp: instance.privateIp, architectureType: instance.architectureType, networkType: instance.networkType, chargeType: instance.chargeType },
    raw: rawOf(instance),
  };
}
