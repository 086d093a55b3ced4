// The contract every cloud adapter implements: resource types, the normalized resource shape that the
// inventory stores, the required CloudProvider/CloudSession interfaces and the optional capabilities.
import { z } from 'zod';
import type { OutboundPolicy } from '../outbound/policy.ts';

export const resourceTypes = [
  'instance',
  'vpc',
  'subnet',
  'disk',
  'snapshot',
  'image',
  'security_group',
  'redis',
  'load_balancer',
] as const;
export const resourceTypeSchema = z.enum(resourceTypes);
export type ResourceType = z.infer<typeof resourceTypeSchema>;

/**
 * Each relation kind points at exactly one resource type, so a relation can be checked (and joined in the
 * inventory) without knowing which provider produced it.
 */
export const relationTargets = {
  in_vpc: 'vpc',
  in_subnet: 'subnet',
  attached_to: 'instance',
  snapshot_of: 'disk',
  from_image: 'image',
  member_of: 'load_balancer',
  uses_security_group: 'security_group',
} as const satisfies Record<string, ResourceType>;
export type RelationKind = keyof typeof relationTargets;
export const relationKindSchema = z.enum(Object.keys(relationTargets) as [RelationKind, ...RelationKind[]]);

export const resourceRelationSchema = z
  .object({ kind: relationKindSchema, toType: resourceTypeSchema, toExternalId: z.string().min(1) })
  .refine((relation) => relationTargets[relation.kind] === relation.toType, {
    error: (issue) => {
      const relation = issue.input as { kind: RelationKind; toType: string };
      return `relation ${relation.kind} must point at a ${relationTargets[relation.kind]}, not a ${relation.toType}`;
    },
  });
export type ResourceRelation = z.infer<typeof resourceRelationSchema>;

const ipList = z.array(z.string().min(1));
const idList = z.array(z.string().min(1));

/** Attributes common to the type across providers; anything a single provider knows goes into `extra`. */
export const resourceAttributeSchemas = {
  instance: z.object({
    instanceType: z.string().min(1),
    privateIps: ipList,
    publicIps: ipList,
    vpcId: z.string().optional(),
    subnetId: z.string().optional(),
    imageId: z.string().optional(),
    securityGroupIds: idList,
    diskIds: idList,
    cpuCores: z.number().int().positive().optional(),
    memoryMb: z.number().int().positive().optional(),
    osName: z.string().optional(),
    launchedAt: z.iso.datetime({ offset: true }).optional(),
  }),
  vpc: z.object({
    cidrBlock: z.string().optional(),
    isDefault: z.boolean().optional(),
  }),
  subnet: z.object({
    vpcId: z.string().optional(),
    cidrBlock: z.string().optional(),
    availableIpCount: z.number().int().nonnegative().optional(),
  }),
  disk: z.object({
    sizeGb: z.number().nonnegative(),
    instanceId: z.string().optional(),
    device: z.string().optional(),
    diskType: z.string().optional(),
    encrypted: z.boolean().optional(),
    snapshotId: z.string().optional(),
  }),
  snapshot: z.object({
    diskId: z.string().optional(),
    sizeGb: z.number().nonnegative().optional(),
    progress: z.string().optional(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
  }),
  image: z.object({
    osName: z.string().optional(),
    architecture: z.string().optional(),
    sizeGb: z.number().nonnegative().optional(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
  }),
  security_group: z.object({
    vpcId: z.string().optional(),
    description: z.string().optional(),
  }),
  redis: z.object({
    engineVersion: z.string().optional(),
    nodeType: z.string().optional(),
    capacityMb: z.number().int().nonnegative().optional(),
    endpoint: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
    vpcId: z.string().optional(),
    subnetId: z.string().optional(),
    securityGroupIds: idList,
  }),
  load_balancer: z.object({
    scheme: z.enum(['internet', 'internal']).optional(),
    dnsName: z.string().optional(),
    addresses: ipList,
    vpcId: z.string().optional(),
    subnetIds: idList,
    securityGroupIds: idList,
  }),
} as const satisfies Record<ResourceType, z.ZodType>;

export type ResourceAttributes<T extends ResourceType = ResourceType> = z.infer<(typeof resourceAttributeSchemas)[T]>;

const commonResourceFields = {
  region: z.string().min(1),
  zone: z.string().min(1).optional(),
  externalId: z.string().min(1),
  name: z.string().optional(),
  status: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  relations: z.array(resourceRelationSchema).optional(),
  /** Provider-specific facts, kept out of the common fields so they never leak into cross-provider logic. */
  extra: z.record(z.string(), z.unknown()),
  /** The provider's own record, for debugging and for fields nobody has normalized yet. */
  raw: z.unknown(),
};

function resourceVariant<T extends ResourceType>(type: T) {
  return z.object({ type: z.literal(type), ...commonResourceFields, attributes: resourceAttributeSchemas[type] });
}

export const normalizedResourceSchema = z.discriminatedUnion('type', [
  resourceVariant('instance'),
  resourceVariant('vpc'),
  resourceVariant('subnet'),
  resourceVariant('disk'),
  resourceVariant('snapshot'),
  resourceVariant('image'),
  resourceVariant('security_group'),
  resourceVariant('redis'),
  resourceVariant('load_balancer'),
]);
export type NormalizedResource = z.infer<typeof normalizedResourceSchema>;
export type NormalizedResourceOf<T extends ResourceType> = Extract<NormalizedResource, { type: T }>;

export interface ResourcePage {
  resources: NormalizedResource[];
  /** Opaque; absent on the last page. Safe to heartbeat and hand back to a new session of the same account. */
  nextPageToken?: string;
}

/**
 * Bound of one provider API call, below the heartbeat timeout of longListing (10 s), the profile of the listings
 * that make these calls: a call never outlives an attempt Temporal has given up on and retried elsewhere.
 */
export const CLOUD_CALL_TIMEOUT_MS = 8_000;
/** Bound of opening the connection, inside CLOUD_CALL_TIMEOUT_MS. */
export const CLOUD_CONNECT_TIMEOUT_MS = 5_000;

/** A connection to one account. Sessions hold SDK clients; close() releases them. */
export interface CloudSession {
  listRegions(): Promise<string[]>;
  list(type: ResourceType, region: string, pageToken?: string): Promise<ResourcePage>;
  close(): void;
}

export interface ConnectOptions<Credentials> {
  credentials: Credentials;
  /** Overrides the provider's public endpoints (private clouds, emulators, tests), e.g. http://127.0.0.1:5000. */
  endpoint?: string;
  /**
   * The process's outbound policy. A provider calls an endpoint override only through it (the host checked before
   * the first call, and where its SDK allows, every connection's resolved address); the public endpoints are not
   * user-configured and are not subject to it.
   */
  outbound: OutboundPolicy;
  /** Preferred page size; providers clamp it to what each API accepts. */
  pageSize?: number;
}

export const capabilityNames = ['instanceLifecycle', 'dnsRecords', 'loadBalancerTargets'] as const;
export const capabilityNameSchema = z.enum(capabilityNames);
export type CapabilityName = z.infer<typeof capabilityNameSchema>;

export interface CloudProvider<Credentials = unknown> {
  readonly id: string;
  readonly displayName: string;
  readonly resourceTypes: readonly ResourceType[];
  /** Optional capabilities its sessions implement; checked against the sessions by the contract tests. */
  readonly capabilities?: readonly CapabilityName[];
  readonly credentialsSchema: z.ZodType<Credentials>;
  connect(options: ConnectOptions<Credentials>): CloudSession;
}

export interface CreateInstanceInput {
  region: string;
  zone?: string;
  name: string;
  instanceType: string;
  imageId: string;
  subnetId?: string;
  securityGroupIds?: string[];
  tags?: Record<string, string>;
  /** Repeating a call with the same key returns the instance made the first time (a retried activity). */
  idempotencyKey?: string;
}

/** Scale-out and scale-in of hosts. */
export interface InstanceLifecycle {
  createInstance(input: CreateInstanceInput): Promise<NormalizedResourceOf<'instance'>>;
  terminateInstance(region: string, instanceId: string): Promise<void>;
}

export interface DnsRecord {
  zone: string;
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT';
  values: string[];
  ttlSeconds: number;
}

export interface DnsRecords {
  listDnsRecords(zone: string): Promise<DnsRecord[]>;
  upsertDnsRecord(record: DnsRecord): Promise<void>;
  deleteDnsRecord(zone: string, name: string, type: DnsRecord['type']): Promise<void>;
}

/** Draining and re-adding hosts behind a load balancer during deploy waves. */
export interface LoadBalancerTargets {
  registerTargets(region: string, loadBalancerId: string, instanceIds: string[]): Promise<void>;
  deregisterTargets(region: string, loadBalancerId: string, instanceIds: string[]): Promise<void>;
}

function hasMethods(session: object, names: string[]): boolean {
  return names.every((name) => typeof (session as Record<string, unknown>)[name] === 'function');
}

export function hasInstanceLifecycle<S extends CloudSession>(session: S): session is S & InstanceLifecycle {
  return hasMethods(session, ['createInstance', 'terminateInstance']);
}

export function hasDnsRecords<S extends CloudSession>(session: S): session is S & DnsRecords {
  return hasMethods(session, ['listDnsRecords', 'upsertDnsRecord', 'deleteDnsRecord']);
}

export function hasLoadBalancerTargets<S extends CloudSession>(session: S): session is S & LoadBalancerTargets {
  return hasMethods(session, ['registerTargets', 'deregisterTargets']);
}

export const capabilityGuards: Record<CapabilityName, (session: CloudSession) => boolean> = {
  instanceLifecycle: hasInstanceLifecycle,
  dnsRecords: hasDnsRecords,
  loadBalancerTargets: hasLoadBalancerTargets,
};

export type CapabilityTable = Record<CapabilityName, boolean>;

/** What a provider supports, as data (the API and the docs table read this). */
export function capabilities(provider: Pick<CloudProvider, 'capabilities'>): CapabilityTable {
  const declared = new Set(provider.capabilities ?? []);
  return Object.fromEntries(capabilityNames.map((name) => [name, declared.has(name)])) as CapabilityTable;
}
