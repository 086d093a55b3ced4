// The simulated account's contents as pure functions of (seed, region, type, slot, generation).
// Instances, disks and snapshots live in a slot window that slides each generation (the oldest slots are
// deleted, new ones created); network, images, Redis and load balancers are fixed sets. Every resource
// also changes (status, revision tag, size) on its own period, so each generation brings updates too.
import type { NormalizedResource, ResourceRelation, ResourceType } from '../../provider.ts';

export const simulatedRegionNames = ['sim-east-1', 'sim-west-1', 'sim-central-1', 'sim-north-1', 'sim-south-1'] as const;

/** A resource's fields change once every `updatePeriod` generations, each resource at its own phase. */
const updatePeriod = 5;
const epochMs = Date.UTC(2024, 0, 1);

const instanceTypes = ['sim.small', 'sim.medium', 'sim.large', 'sim.xlarge'] as const;
const instanceShapes: Record<(typeof instanceTypes)[number], { cpuCores: number; memoryMb: number }> = {
  'sim.small': { cpuCores: 1, memoryMb: 2048 },
  'sim.medium': { cpuCores: 2, memoryMb: 4096 },
  'sim.large': { cpuCores: 4, memoryMb: 16384 },
  'sim.xlarge': { cpuCores: 8, memoryMb: 32768 },
};
const environments = ['prod', 'staging', 'dev'] as const;
const teams = ['payments', 'search', 'platform', 'data'] as const;
const operatingSystems = ['Debian 12', 'Ubuntu 24.04', 'Rocky Linux 9'] as const;
const typeSalts: Record<ResourceType, number> = {
  instance: 1, vpc: 2, subnet: 3, disk: 4, snapshot: 5, image: 6, security_group: 7, redis: 8, load_balancer: 9,
};

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function mix(hash: number, value: number): number {
  let h = Math.imul(hash ^ value, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function pick<T>(list: readonly T[], hash: number): T {
  return list[hash % list.length] as T;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface SimulatedView {
  firstSlot: number;
  endSlot: number;
  /** The resource at `slot`, or undefined where the slot is empty (not every disk has a snapshot). */
  resourceAt(slot: number): NormalizedResource | undefined;
}

export interface SimulatedAccount {
  view(type: ResourceType, regionIndex: number, generation: number): SimulatedView;
}

export function simulatedAccount(seed: string, instancesPerRegion: number): SimulatedAccount {
  const seedHash = fnv1a(seed);
  const vpcCount = Math.max(2, Math.ceil(instancesPerRegion / 500));
  const subnetsPerVpc = 3;
  const securityGroupsPerVpc = 2;
  const imageCount = Math.max(3, Math.ceil(instancesPerRegion / 100));
  const loadBalancerCount = Math.max(2, Math.ceil(instancesPerRegion / 100));
  const redisCount = Math.max(2, Math.ceil(instancesPerRegion / 50));
  /** Instances deleted (oldest first) and created per generation. */
  const churn = Math.max(1, Math.ceil(instancesPerRegion / 50));

  function hashOf(regionIndex: number, type: ResourceType, slot: number, salt: number): number {
    const low = slot % 0x1_0000_0000;
    const high = Math.floor(slot / 0x1_0000_0000);
    return mix(mix(mix(mix(mix(seedHash, regionIndex), typeSalts[type]), low), high), salt);
  }

  function version(regionIndex: number, type: ResourceType, slot: number, generation: number): number {
    const phase = hashOf(regionIndex, type, slot, 0x7e) % updatePeriod;
    return Math.floor((generation + phase) / updatePeriod);
  }

  function externalId(prefix: string, regionIndex: number, slot: number): string {
    return `${prefix}-${regionIndex}${slot.toString(16).padStart(11, '0')}`;
  }

  const ids = {
    instance: (r: number, slot: number) => externalId('i', r, slot),
    vpc: (r: number, slot: number) => externalId('vpc', r, slot),
    subnet: (r: number, slot: number) => externalId('subnet', r, slot),
    disk: (r: number, slot: number) => externalId('vol', r, slot),
    snapshot: (r: number, slot: number) => externalId('snap', r, slot),
    image: (r: number, slot: number) => externalId('img', r, slot),
    security_group: (r: number, slot: number) => externalId('sg', r, slot),
    redis: (r: number, slot: number) => externalId('redis', r, slot),
    load_balancer: (r: number, slot: number) => externalId('lb', r, slot),
  } satisfies Record<ResourceType, (regionIndex: number, slot: number) => string>;

  function tagsFor(regionIndex: number, type: ResourceType, slot: number, generation: number): Record<string, string> {
    const hash = hashOf(regionIndex, type, slot, 0x7a);
    return {
      env: pick(environments, hash),
      team: pick(teams, hash >>> 4),
      revision: String(version(regionIndex, type, slot, generation)),
    };
  }

  function placement(regionIndex: number, instanceSlot: number) {
    const hash = hashOf(regionIndex, 'instance', instanceSlot, 0x11);
    const vpc = hash % vpcCount;
    const subnet = vpc * subnetsPerVpc + ((hash >>> 8) % subnetsPerVpc);
    const securityGroup = vpc * securityGroupsPerVpc + ((hash >>> 12) % securityGroupsPerVpc);
    const image = (hash >>> 16) % imageCount;
    return { vpc, subnet, securityGroup, image };
  }

  const diskExists = (regionIndex: number, diskSlot: number) =>
    diskSlot % 2 === 0 || hashOf(regionIndex, 'disk', diskSlot, 0x21) % 3 === 0;
  const snapshotExists = (regionIndex: number, diskSlot: number) =>
    diskExists(regionIndex, diskSlot) && hashOf(regionIndex, 'snapshot', diskSlot, 0x31) % 4 === 0;

  function diskSizeGb(regionIndex: number, diskSlot: number, generation: number): number {
    if (diskSlot % 2 === 0) return 40;
    // Data disks grow by 50 GB at each of their revisions, which is how the inventory sees a resize.
    const base = 100 + (hashOf(regionIndex, 'disk', diskSlot, 0x22) % 10) * 50;
    return base + 50 * (version(regionIndex, 'disk', diskSlot, generation) % 4);
  }

  function zoneOf(regionIndex: number, hash: number): string {
    return `${simulatedRegionNames[regionIndex]}${'abc'[hash % 3]}`;
  }

  function instanceAt(r: number, slot: number, generation: number): NormalizedResource {
    const hash = hashOf(r, 'instance', slot, 0x01);
    const where = placement(r, slot);
    const instanceType = pick(instanceTypes, hash);
    const v = version(r, 'instance', slot, generation);
    const stopped = mix(hash, v) % 10 === 0;
    const diskIds = [ids.disk(r, slot * 2)];
    if (diskExists(r, slot * 2 + 1)) diskIds.push(ids.disk(r, slot * 2 + 1));
    const relations: ResourceRelation[] = [
      { kind: 'in_vpc', toType: 'vpc', toExternalId: ids.vpc(r, where.vpc) },
      { kind: 'in_subnet', toType: 'subnet', toExternalId: ids.subnet(r, where.subnet) },
      { kind: 'from_image', toType: 'image', toExternalId: ids.image(r, where.image) },
      { kind: 'uses_security_group', toType: 'security_group', toExternalId: ids.security_group(r, where.securityGroup) },
    ];
    if ((hash >>> 20) % 3 === 0) {
      relations.push({ kind: 'member_of', toType: 'load_balancer', toExternalId: ids.load_balancer(r, (hash >>> 6) % loadBalancerCount) });
    }
    return {
      type: 'instance',
      region: simulatedRegionNames[r] as string,
      zone: zoneOf(r, hash >>> 3),
      externalId: ids.instance(r, slot),
      name: `${pick(teams, hash >>> 9)}-${slot}`,
      status: stopped ? 'stopped' : 'running',
      attributes: {
        instanceType,
        ...instanceShapes[instanceType],
        privateIps: [`10.${where.vpc % 256}.${(where.subnet % subnetsPerVpc) * 64 + ((slot >>> 8) % 64)}.${(slot % 254) + 1}`],
        publicIps: hash % 4 === 0 ? [`198.18.${(slot >>> 8) % 256}.${slot % 256}`] : [],
        vpcId: ids.vpc(r, where.vpc),
        subnetId: ids.subnet(r, where.subnet),
        imageId: ids.image(r, where.image),
        securityGroupIds: [ids.security_group(r, where.securityGroup)],
        diskIds,
        osName: pick(operatingSystems, where.image),
        launchedAt: iso(epochMs + slot * 600_000),
      },
      tags: tagsFor(r, 'instance', slot, generation),
      relations,
      extra: { generation },
      raw: { slot, generation },
    };
  }

  function diskAt(r: number, slot: number, generation: number): NormalizedResource | undefined {
    if (!diskExists(r, slot)) return undefined;
    const instanceSlot = Math.floor(slot / 2);
    const hash = hashOf(r, 'disk', slot, 0x02);
    return {
      type: 'disk',
      region: simulatedRegionNames[r] as string,
      zone: zoneOf(r, hashOf(r, 'instance', instanceSlot, 0x01) >>> 3),
      externalId: ids.disk(r, slot),
      name: slot % 2 === 0 ? `root-${instanceSlot}` : `data-${instanceSlot}`,
      status: 'in_use',
      attributes: {
        sizeGb: diskSizeGb(r, slot, generation),
        instanceId: ids.instance(r, instanceSlot),
        device: slot % 2 === 0 ? '/dev/vda' : '/dev/vdb',
        diskType: slot % 2 === 0 ? 'ssd' : pick(['ssd', 'hdd'], hash),
        encrypted: hash % 2 === 0,
      },
      tags: tagsFor(r, 'disk', slot, generation),
      relations: [{ kind: 'attached_to', toType: 'instance', toExternalId: ids.instance(r, instanceSlot) }],
      extra: { role: slot % 2 === 0 ? 'system' : 'data' },
      raw: { slot, generation },
    };
  }

  function snapshotAt(r: number, slot: number, generation: number): NormalizedResource | undefined {
    if (!snapshotExists(r, slot)) return undefined;
    return {
      type: 'snapshot',
      region: simulatedRegionNames[r] as string,
      externalId: ids.snapshot(r, slot),
      name: `daily-${slot}`,
      status: 'completed',
      attributes: {
        diskId: ids.disk(r, slot),
        sizeGb: diskSizeGb(r, slot, generation),
        progress: '100%',
        createdAt: iso(epochMs + Math.floor(slot / 2) * 600_000 + 3_600_000),
      },
      tags: tagsFor(r, 'snapshot', slot, generation),
      relations: [{ kind: 'snapshot_of', toType: 'disk', toExternalId: ids.disk(r, slot) }],
      extra: {},
      raw: { slot, generation },
    };
  }

  function vpcAt(r: number, slot: number, generation: number): NormalizedResource {
    return {
      type: 'vpc',
      region: simulatedRegionNames[r] as string,
      externalId: ids.vpc(r, slot),
      name: slot === 0 ? 'default' : `vpc-${slot}`,
      status: 'available',
      attributes: { cidrBlock: `10.${slot % 256}.0.0/16`, isDefault: slot === 0 },
      tags: tagsFor(r, 'vpc', slot, generation),
      extra: {},
      raw: { slot, generation },
    };
  }

  function subnetAt(r: number, slot: number, generation: number): NormalizedResource {
    const vpc = Math.floor(slot / subnetsPerVpc);
    const hash = hashOf(r, 'subnet', slot, 0x03);
    return {
      type: 'subnet',
      region: simulatedRegionNames[r] as string,
      zone: zoneOf(r, slot),
      externalId: ids.subnet(r, slot),
      name: `subnet-${vpc}-${slot % subnetsPerVpc}`,
      status: 'available',
      attributes: {
        vpcId: ids.vpc(r, vpc),
        cidrBlock: `10.${vpc % 256}.${(slot % subnetsPerVpc) * 64}.0/18`,
        availableIpCount: 16000 - (mix(hash, version(r, 'subnet', slot, generation)) % 2000),
      },
      tags: tagsFor(r, 'subnet', slot, generation),
      relations: [{ kind: 'in_vpc', toType: 'vpc', toExternalId: ids.vpc(r, vpc) }],
      extra: {},
      raw: { slot, generation },
    };
  }

  function securityGroupAt(r: number, slot: number, generation: number): NormalizedResource {
    const vpc = Math.floor(slot / securityGroupsPerVpc);
    return {
      type: 'security_group',
      region: simulatedRegionNames[r] as string,
      externalId: ids.security_group(r, slot),
      name: slot % securityGroupsPerVpc === 0 ? `web-${vpc}` : `internal-${vpc}`,
      attributes: { vpcId: ids.vpc(r, vpc), description: slot % securityGroupsPerVpc === 0 ? 'http and https from anywhere' : 'traffic inside the vpc' },
      tags: tagsFor(r, 'security_group', slot, generation),
      relations: [{ kind: 'in_vpc', toType: 'vpc', toExternalId: ids.vpc(r, vpc) }],
      extra: {},
      raw: { slot, generation },
    };
  }

  function imageAt(r: number, slot: number, generation: number): NormalizedResource {
    return {
      type: 'image',
      region: simulatedRegionNames[r] as string,
      externalId: ids.image(r, slot),
      name: `golden-${pick(operatingSystems, slot).toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${slot}`,
      status: 'available',
      attributes: { osName: pick(operatingSystems, slot), architecture: 'x86_64', sizeGb: 40, createdAt: iso(epochMs - (slot + 1) * 86_400_000) },
      tags: tagsFor(r, 'image', slot, generation),
      extra: {},
      raw: { slot, generation },
    };
  }

  function redisAt(r: number, slot: number, generation: number): NormalizedResource {
    const hash = hashOf(r, 'redis', slot, 0x04);
    const vpc = hash % vpcCount;
    const subnet = vpc * subnetsPerVpc + ((hash >>> 8) % subnetsPerVpc);
    const securityGroup = vpc * securityGroupsPerVpc + 1;
    const capacityMb = 1024 * 2 ** (hash % 5);
    return {
      type: 'redis',
      region: simulatedRegionNames[r] as string,
      zone: zoneOf(r, hash >>> 3),
      externalId: ids.redis(r, slot),
      name: `${pick(teams, hash >>> 5)}-cache-${slot}`,
      status: mix(hash, version(r, 'redis', slot, generation)) % 8 === 0 ? 'modifying' : 'available',
      attributes: {
        engineVersion: pick(['6.2', '7.0', '7.2'], hash >>> 7),
        nodeType: `sim.redis.${capacityMb / 1024}g`,
        capacityMb,
        endpoint: { host: `${ids.redis(r, slot)}.redis.${simulatedRegionNames[r]}.sim.internal`, port: 6379 },
        vpcId: ids.vpc(r, vpc),
        subnetId: ids.subnet(r, subnet),
        securityGroupIds: [ids.security_group(r, securityGroup)],
      },
      tags: tagsFor(r, 'redis', slot, generation),
      relations: [
        { kind: 'in_vpc', toType: 'vpc', toExternalId: ids.vpc(r, vpc) },
        { kind: 'in_subnet', toType: 'subnet', toExternalId: ids.subnet(r, subnet) },
        { kind: 'uses_security_group', toType: 'security_group', toExternalId: ids.security_group(r, securityGroup) },
      ],
      extra: {},
      raw: { slot, generation },
    };
  }

  function loadBalancerAt(r: number, slot: number, generation: number): NormalizedResource {
    const vpc = slot % vpcCount;
    const subnetIds = Array.from({ length: subnetsPerVpc }, (_, i) => ids.subnet(r, vpc * subnetsPerVpc + i));
    const securityGroup = vpc * securityGroupsPerVpc;
    const internal = slot % 2 === 1;
    return {
      type: 'load_balancer',
      region: simulatedRegionNames[r] as string,
      externalId: ids.load_balancer(r, slot),
      name: `${internal ? 'internal' : 'public'}-lb-${slot}`,
      status: 'active',
      attributes: {
        scheme: internal ? 'internal' : 'internet',
        dnsName: `${ids.load_balancer(r, slot)}.lb.${simulatedRegionNames[r]}.sim.internal`,
        addresses: internal ? [`10.${vpc % 256}.0.${(slot % 250) + 4}`] : [`198.19.${vpc % 256}.${slot % 256}`],
        vpcId: ids.vpc(r, vpc),
        subnetIds,
        securityGroupIds: [ids.security_group(r, securityGroup)],
      },
      tags: tagsFor(r, 'load_balancer', slot, generation),
      relations: [
        { kind: 'in_vpc', toType: 'vpc', toExternalId: ids.vpc(r, vpc) },
        ...subnetIds.map((id) => ({ kind: 'in_subnet' as const, toType: 'subnet' as const, toExternalId: id })),
        { kind: 'uses_security_group', toType: 'security_group', toExternalId: ids.security_group(r, securityGroup) },
      ],
      extra: {},
      raw: { slot, generation },
    };
  }

  const fixedSet = (count: number, at: (r: number, slot: number, generation: number) => NormalizedResource | undefined) =>
    (r: number, generation: number): SimulatedView => ({ firstSlot: 0, endSlot: count, resourceAt: (slot) => at(r, slot, generation) });
  /** Sliding windows: in generation g the live instances are slots [g*churn, g*churn + instancesPerRegion). */
  const slidingSet = (slotsPerInstance: number, at: (r: number, slot: number, generation: number) => NormalizedResource | undefined) =>
    (r: number, generation: number): SimulatedView => ({
      firstSlot: generation * churn * slotsPerInstance,
      endSlot: (generation * churn + instancesPerRegion) * slotsPerInstance,
      resourceAt: (slot) => at(r, slot, generation),
    });

  const views: Record<ResourceType, (regionIndex: number, generation: number) => SimulatedView> = {
    instance: slidingSet(1, instanceAt),
    disk: slidingSet(2, diskAt),
    snapshot: slidingSet(2, snapshotAt),
    vpc: fixedSet(vpcCount, vpcAt),
    subnet: fixedSet(vpcCount * subnetsPerVpc, subnetAt),
    security_group: fixedSet(vpcCount * securityGroupsPerVpc, securityGroupAt),
    image: fixedSet(imageCount, imageAt),
    redis: fixedSet(redisCount, redisAt),
    load_balancer: fixedSet(loadBalancerCount, loadBalancerAt),
  };

  return { view: (type, regionIndex, generation) => views[type](regionIndex, generation) };
}
