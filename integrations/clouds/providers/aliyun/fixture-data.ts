// Deterministic Alibaba Cloud records in the documented response shapes (ECS, VPC, KVStore), enough of
// each type for several pages. Served by fixture-server.ts to the adapter tests and the demo.

export interface AliyunRegionRecords {
  vpcs: Record<string, unknown>[];
  vSwitches: Record<string, unknown>[];
  securityGroups: Record<string, unknown>[];
  instances: Record<string, unknown>[];
  disks: Record<string, unknown>[];
  snapshots: Record<string, unknown>[];
  images: Record<string, unknown>[];
  kvStoreInstances: Record<string, unknown>[];
}

export interface AliyunFixtureSizes {
  vpcs: number;
  instances: number;
  images: number;
  kvStoreInstances: number;
}

export const defaultFixtureSizes: AliyunFixtureSizes = { vpcs: 3, instances: 23, images: 7, kvStoreInstances: 6 };

const vSwitchesPerVpc = 3;
const securityGroupsPerVpc = 2;
const teams = ['payments', 'search', 'platform'];
const instanceTypes = [
  { type: 'ecs.g7.large', cpu: 2, memory: 8192 },
  { type: 'ecs.c7.xlarge', cpu: 4, memory: 8192 },
  { type: 'ecs.r7.2xlarge', cpu: 8, memory: 65536 },
];

function id(prefix: string, regionIndex: number, index: number): string {
  return `${prefix}-${'abcdefghij'[regionIndex % 10]}p${index.toString(36).padStart(15, '0')}`;
}

/** Alibaba's documented time format is minute precision in UTC, e.g. 2024-01-01T08:00Z. */
function minuteTime(minutes: number): string {
  return new Date(Date.UTC(2024, 0, 1) + minutes * 60_000).toISOString().slice(0, 16) + 'Z';
}

const ecsTags = (team: string) => ({ Tag: [{ TagKey: 'team', TagValue: team }, { TagKey: 'managed-by', TagValue: 'opsflow-fixture' }] });
const vpcTags = (team: string) => ({ Tag: [{ Key: 'team', Value: team }] });

export function aliyunRegionRecords(regionId: string, regionIndex: number, sizes: AliyunFixtureSizes = defaultFixtureSizes): AliyunRegionRecords {
  const zones = [`${regionId}-h`, `${regionId}-i`, `${regionId}-j`];
  const vpcs = Array.from({ length: sizes.vpcs }, (_, v) => ({
    VpcId: id('vpc', regionIndex, v),
    VpcName: v === 0 ? 'default' : `vpc-${v}`,
    RegionId: regionId,
    Status: 'Available',
    CidrBlock: `172.${16 + v}.0.0/16`,
    IsDefault: v === 0,
    Description: '',
    CreationTime: minuteTime(v),
    VSwitchIds: { VSwitchId: Array.from({ length: vSwitchesPerVpc }, (_, s) => id('vsw', regionIndex, v * vSwitchesPerVpc + s)) },
    Tags: vpcTags(teams[v % teams.length] as string),
  }));
  const vSwitches = vpcs.flatMap((vpc, v) => Array.from({ length: vSwitchesPerVpc }, (_, s) => ({
    VSwitchId: id('vsw', regionIndex, v * vSwitchesPerVpc + s),
    VpcId: vpc.VpcId,
    VSwitchName: `vsw-${v}-${s}`,
    ZoneId: zones[s % zones.length],
    CidrBlock: `172.${16 + v}.${s * 16}.0/20`,
    AvailableIpAddressCount: 4000 - s * 7,
    Status: 'Available',
    IsDefault: v === 0 && s === 0,
    CreationTime: minuteTime(10 + s),
    Tags: vpcTags(teams[s % teams.length] as string),
  })));
  const securityGroups = vpcs.flatMap((vpc, v) => Array.from({ length: securityGroupsPerVpc }, (_, g) => ({
    SecurityGroupId: id('sg', regionIndex, v * securityGroupsPerVpc + g),
    SecurityGroupName: g === 0 ? `web-${v}` : `internal-${v}`,
    Description: g === 0 ? 'http and https from anywhere' : 'traffic inside the vpc',
    VpcId: vpc.VpcId,
    SecurityGroupType: 'normal',
    CreationTime: minuteTime(20 + g),
    Tags: ecsTags(teams[g % teams.length] as string),
  })));
  const images = Array.from({ length: sizes.images }, (_, m) => ({
    ImageId: id('m', regionIndex, m),
    ImageName: `golden-${m}`,
    OSName: m % 2 === 0 ? 'Alibaba Cloud Linux 3.2104 64 bit' : 'Ubuntu 22.04 64 bit',
    OSType: 'linux',
    Platform: m % 2 === 0 ? 'Aliyun' : 'Ubuntu',
    Architecture: 'x86_64',
    Size: 40,
    Status: 'Available',
    ImageOwnerAlias: 'self',
    CreationTime: minuteTime(30 + m),
    DiskDeviceMappings: { DiskDeviceMapping: [{ SnapshotId: '', Size: '40', Type: 'system', Device: '/dev/xvda' }] },
    Tags: ecsTags(teams[m % teams.length] as string),
  }));

  const instances: Record<string, unknown>[] = [];
  const disks: Record<string, unknown>[] = [];
  const snapshots: Record<string, unknown>[] = [];
  for (let i = 0; i < sizes.instances; i++) {
    const v = i % sizes.vpcs;
    const s = i % vSwitchesPerVpc;
    const shape = instanceTypes[i % instanceTypes.length] as (typeof instanceTypes)[number];
    const team = teams[i % teams.length] as string;
    const instanceId = id('i', regionIndex, i);
    const zone = zones[s % zones.length] as string;
    const diskIds = [id('d', regionIndex, i * 2)];
    if (i % 3 === 0) diskIds.push(id('d', regionIndex, i * 2 + 1));
    instances.push({
      InstanceId: instanceId,
      InstanceName: `${team}-${i}`,
      HostName: `${team}-${i}`,
      RegionId: regionId,
      ZoneId: zone,
      Status: i % 7 === 6 ? 'Stopped' : 'Running',
      InstanceType: shape.type,
      Cpu: shape.cpu,
      Memory: shape.memory,
      ImageId: id('m', regionIndex, i % sizes.images),
      OSName: i % 2 === 0 ? 'Alibaba Cloud Linux 3.2104 64 bit' : 'Ubuntu 22.04 64 bit',
      OSType: 'linux',
      CreationTime: minuteTime(100 + i),
      ExpiredTime: '2099-12-31T15:59Z',
      InstanceChargeType: 'PostPaid',
      InstanceNetworkType: 'vpc',
      Description: '',
      VpcAttributes: {
        VpcId: id('vpc', regionIndex, v),
        VSwitchId: id('vsw', regionIndex, v * vSwitchesPerVpc + s),
        PrivateIpAddress: { IpAddress: [`172.${16 + v}.${s * 16}.${10 + i}`] },
        NatIpAddress: '',
      },
      PublicIpAddress: { IpAddress: i % 4 === 0 ? [`47.96.${regionIndex}.${i + 1}`] : [] },
      InnerIpAddress: { IpAddress: [] },
      EipAddress: i % 5 === 1 ? { IpAddress: `39.100.${regionIndex}.${i}`, AllocationId: id('eip', regionIndex, i) } : { IpAddress: '', AllocationId: '' },
      SecurityGroupIds: { SecurityGroupId: [id('sg', regionIndex, v * securityGroupsPerVpc + (i % securityGroupsPerVpc))] },
      Tags: ecsTags(team),
    });
    diskIds.forEach((diskId, d) => {
      const size = d === 0 ? 40 : 200 + (i % 4) * 100;
      disks.push({
        DiskId: diskId,
        DiskName: d === 0 ? `system-${i}` : `data-${i}`,
        RegionId: regionId,
        ZoneId: zone,
        Size: size,
        Category: d === 0 ? 'cloud_essd' : 'cloud_auto',
        Type: d === 0 ? 'system' : 'data',
        Status: 'In_use',
        InstanceId: instanceId,
        Device: d === 0 ? '/dev/xvda' : '/dev/xvdb',
        Encrypted: d === 1,
        SourceSnapshotId: '',
        ImageId: d === 0 ? id('m', regionIndex, i % sizes.images) : '',
        DeleteWithInstance: d === 0,
        Portable: d === 1,
        CreationTime: minuteTime(100 + i),
        Tags: ecsTags(team),
      });
      if (d === 1 || i % 4 === 0) {
        snapshots.push({
          SnapshotId: id('s', regionIndex, i * 2 + d),
          SnapshotName: `nightly-${i}-${d}`,
          SourceDiskId: diskId,
          SourceDiskSize: String(size),
          SourceDiskType: d === 0 ? 'system' : 'data',
          Status: 'accomplished',
          Progress: '100%',
          Encrypted: d === 1,
          CreationTime: minuteTime(1000 + i),
          Tags: ecsTags(team),
        });
      }
    });
  }

  const kvStoreInstances = Array.from({ length: sizes.kvStoreInstances }, (_, k) => {
    const v = k % sizes.vpcs;
    const instanceId = id('r', regionIndex, k);
    return {
      InstanceId: instanceId,
      InstanceName: `${teams[k % teams.length]}-cache`,
      RegionId: regionId,
      ZoneId: zones[k % zones.length],
      InstanceStatus: 'Normal',
      InstanceClass: k % 2 === 0 ? 'redis.master.small.default' : 'redis.master.mid.default',
      InstanceType: 'Redis',
      EngineVersion: k % 2 === 0 ? '7.0' : '6.0',
      Capacity: k % 2 === 0 ? 1024 : 2048,
      ConnectionDomain: `${instanceId}.redis.rds.aliyuncs.com`,
      Port: 6379,
      PrivateIp: `172.${16 + v}.0.${200 + k}`,
      VpcId: id('vpc', regionIndex, v),
      VSwitchId: id('vsw', regionIndex, v * vSwitchesPerVpc),
      NetworkType: 'VPC',
      ArchitectureType: 'standard',
      ChargeType: 'PostPaid',
      CreateTime: minuteTime(500 + k),
      Tags: vpcTags(teams[k % teams.length] as string),
    };
  });

  return { vpcs, vSwitches, securityGroups, instances, disks, snapshots, images, kvStoreInstances };
}
