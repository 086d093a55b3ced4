// The emulated CMDB's data: a business/set/module/host topology whose every change lands, as CMDB's change
// streams would put it, on the event chain of its resource. Tests drive it with domain verbs and compare snapshots.
import { randomBytes } from 'node:crypto';
import { CmdbFault, EventChain, readWatch } from './event-chain.ts';
import type { ClusterTime, WatchOutcome, WatchRequest } from './event-chain.ts';
import type {
  CmdbBusiness,
  CmdbDetail,
  CmdbEventType,
  CmdbHost,
  CmdbHostRelation,
  CmdbModule,
  CmdbPermission,
  CmdbSet,
  CmdbWatchResource,
} from '../types.ts';

export interface CmdbEmulatorStateOptions {
  /** Events older than this are gone: their cursors answer 1103007 and bk_start_from may not reach back further. */
  retentionSeconds: number;
  maxEventsPerCall?: number;
  /** Milliseconds since the epoch; tests pass a settable clock to age events out. */
  clock?: () => number;
}

// The emulator's documents always carry the fields CMDB fills in; `default` marks the built-in objects
// (1 = resource pool / idle set / idle module, 2 = fault module, 3 = recycle module).
export interface EmulatedBusiness extends CmdbBusiness {
  bk_biz_name: string;
  default: number;
}

export interface EmulatedSet extends CmdbSet {
  bk_set_name: string;
  bk_biz_id: number;
  default: number;
}

export interface EmulatedModule extends CmdbModule {
  bk_module_name: string;
  bk_set_id: number;
  bk_biz_id: number;
  default: number;
}

export interface EmulatedHost extends CmdbHost {
  bk_host_innerip: string;
  bk_host_name: string;
}

/** Everything the emulated CMDB holds, sorted by id: what a mirror fed by watch events must end equal to. */
export interface CmdbTopologySnapshot {
  businesses: EmulatedBusiness[];
  sets: EmulatedSet[];
  modules: EmulatedModule[];
  hosts: EmulatedHost[];
  /** Sorted by host, then module. */
  hostRelations: CmdbHostRelation[];
}

/** A verb CMDB itself would refuse (unknown id, deleting a module that still has hosts, ...). */
export class TopologyRuleError extends Error {
  override name = 'TopologyRuleError';
}

export const RESOURCE_POOL_BIZ_ID = 1;

const SUPPLIER_ACCOUNT = '0';

// IAM action per resource (src/ac/iam/types.go); biz_set_relation is authorised as biz_set, host_identifier as host.
const WATCH_ACTIONS: Partial<Record<CmdbWatchResource, string>> = {
  host: 'watch_host_event',
  host_identifier: 'watch_host_event',
  host_relation: 'watch_host_relation_event',
  biz: 'watch_biz_event',
  set: 'watch_set_event',
  module: 'watch_module_event',
  process: 'watch_process_event',
  object_instance: 'watch_comm_model_inst_event',
  mainline_instance: 'watch_custom_topo_layer_event',
  inst_asst: 'watch_inst_asst_event',
  biz_set: 'watch_biz_set_event',
  biz_set_relation: 'watch_biz_set_event',
  plat: 'watch_plat_event',
  project: 'watch_project_event',
};

/** The permission object of a 9900403 for watching `resource`: what to apply for in IAM. */
export function watchPermission(resource: CmdbWatchResource): CmdbPermission {
  const action = WATCH_ACTIONS[resource] ?? `watch_${resource}_event`;
  return {
    system_id: 'bk_cmdb',
    system_name: '配置平台',
    actions: [{ id: action, name: `${resource} event watch`, related_resource_types: [] }],
  };
}

interface Stored<T> {
  /** Mongo _id of the document: part of each event's cursor. */
  oid: string;
  doc: T;
}

interface InjectedFailure {
  message: string;
  remaining: number;
}

type AppendListener = (resource: CmdbWatchResource) => void;

export class CmdbEmulatorState {
  readonly retentionSeconds: number;
  readonly maxEventsPerCall: number;
  readonly #clock: () => number;
  readonly #chains = new Map<CmdbWatchResource, EventChain>();
  readonly #listeners = new Set<AppendListener>();
  readonly #denied = new Set<CmdbWatchResource>();
  readonly #failures = new Map<CmdbWatchResource, InjectedFailure>();

  readonly #businesses = new Map<number, Stored<EmulatedBusiness>>();
  readonly #sets = new Map<number, Stored<EmulatedSet>>();
  readonly #modules = new Map<number, Stored<EmulatedModule>>();
  readonly #hosts = new Map<number, Stored<EmulatedHost>>();
  /** Keyed `${hostId}:${moduleId}`, one row per module a host sits in, like cc_ModuleHostConfig. */
  readonly #relations = new Map<string, Stored<CmdbHostRelation>>();

  #nextBizId = RESOURCE_POOL_BIZ_ID;
  #nextSetId = 1;
  #nextModuleId = 1;
  #nextHostId = 1;
  readonly #oidMachine = randomBytes(5).toString('hex');
  #oidCounter = 0;
  #lastClusterTime: ClusterTime = { sec: 0, inc: 0 };

  constructor(options: CmdbEmulatorStateOptions) {
    this.retentionSeconds = options.retentionSeconds;
    this.maxEventsPerCall = options.maxEventsPerCall ?? 200;
    this.#clock = options.clock ?? Date.now;
    // Every CMDB ships with the resource pool business; new hosts land in its idle module.
    this.createBusiness('资源池', { default: 1 });
  }

  // ---- watch ----

  /** One pass over the resource's chain; the server repeats it while holding a long poll. */
  readWatch(request: WatchRequest): WatchOutcome {
    return readWatch(this.#chain(request.resource), request, {
      nowSec: this.#nowSec(),
      retentionSeconds: this.retentionSeconds,
      maxEventsPerCall: this.maxEventsPerCall,
    });
  }

  /** Called on every appended event; returns the unsubscribe function. */
  onEventAppended(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Answer 9900403 (with the IAM permission detail) to every watch of `resource` until allowWatch. */
  denyWatch(resource: CmdbWatchResource): void {
    this.#denied.add(resource);
  }

  allowWatch(resource: CmdbWatchResource): void {
    this.#denied.delete(resource);
  }

  /** Answer the next `times` watches of `resource` with 1199998 and `message`. */
  failWatch(resource: CmdbWatchResource, message = 'emulated cache_service failure', times = 1): void {
    this.#failures.set(resource, { message, remaining: times });
  }

  /** The injected fault a watch of `resource` meets first, consuming one injected failure. */
  takeWatchFault(resource: CmdbWatchResource): CmdbFault | undefined {
    if (this.#denied.has(resource)) return new CmdbFault(9900403, 'Do not have access permission.', watchPermission(resource));
    const failure = this.#failures.get(resource);
    if (!failure) return undefined;
    failure.remaining -= 1;
    if (failure.remaining <= 0) this.#failures.delete(resource);
    return new CmdbFault(1199998, failure.message);
  }

  // ---- topology verbs ----

  /** A business comes with its idle set and the idle, fault and recycle modules, as CMDB creates them. */
  createBusiness(name: string, attributes: CmdbDetail = {}): EmulatedBusiness {
    const bizId = this.#nextBizId++;
    const time = this.#isoNow();
    const business: EmulatedBusiness = {
      bk_biz_maintainer: 'admin',
      bk_biz_productor: '',
      bk_biz_developer: '',
      bk_biz_tester: '',
      operator: '',
      life_cycle: '2',
      time_zone: 'Asia/Shanghai',
      language: '1',
      default: 0,
      bk_data_status: 'enable',
      ...attributes,
      bk_biz_id: bizId,
      bk_biz_name: name,
      bk_supplier_account: SUPPLIER_ACCOUNT,
      create_time: time,
      last_time: time,
    };
    this.#insert(this.#businesses, bizId, business, 'biz');
    const idleSet = this.createSet(bizId, '空闲机池', { default: 1 });
    this.createModule(idleSet.bk_set_id, '空闲机', { default: 1 });
    this.createModule(idleSet.bk_set_id, '故障机', { default: 2 });
    this.createModule(idleSet.bk_set_id, '待回收', { default: 3 });
    return structuredClone(business);
  }

  createSet(bizId: number, name: string, attributes: CmdbDetail = {}): EmulatedSet {
    this.#get(this.#businesses, bizId, 'business');
    const setId = this.#nextSetId++;
    const time = this.#isoNow();
    const set: EmulatedSet = {
      bk_set_env: '3',
      bk_service_status: '1',
      set_template_id: 0,
      default: 0,
      bk_set_desc: '',
      bk_capacity: null,
      description: '',
      ...attributes,
      bk_set_id: setId,
      bk_set_name: name,
      bk_biz_id: bizId,
      bk_parent_id: bizId,
      bk_supplier_account: SUPPLIER_ACCOUNT,
      create_time: time,
      last_time: time,
    };
    this.#insert(this.#sets, setId, set, 'set');
    return structuredClone(set);
  }

  createModule(setId: number, name: string, attributes: CmdbDetail = {}): EmulatedModule {
    const set = this.#get(this.#sets, setId, 'set').doc;
    const moduleId = this.#nextModuleId++;
    const time = this.#isoNow();
    const module: EmulatedModule = {
      bk_module_type: '1',
      operator: '',
      bk_bak_operator: '',
      service_template_id: 0,
      service_category_id: 2,
      set_template_id: 0,
      host_apply_enabled: false,
      default: 0,
      ...attributes,
      bk_module_id: moduleId,
      bk_module_name: name,
      bk_set_id: setId,
      bk_biz_id: set.bk_biz_id,
      bk_parent_id: setId,
      bk_supplier_account: SUPPLIER_ACCOUNT,
      create_time: time,
      last_time: time,
    };
    this.#insert(this.#modules, moduleId, module, 'module');
    return structuredClone(module);
  }

  /** Adds a host (IPs comma-joined, as CMDB emits them) into `moduleIds`, by default the resource pool's idle module. */
  createHost(innerIp: string, attributes: CmdbDetail = {}, moduleIds?: number[]): EmulatedHost {
    const targets = moduleIds ?? [this.#idleModuleOf(RESOURCE_POOL_BIZ_ID).bk_module_id];
    this.#checkTransferTargets(targets);
    const hostId = this.#nextHostId++;
    const time = this.#isoNow();
    const host: EmulatedHost = {
      bk_host_outerip: '',
      bk_host_innerip_v6: '',
      bk_host_outerip_v6: '',
      bk_cloud_id: 0,
      bk_host_name: `host-${hostId}`,
      bk_os_type: '1',
      bk_os_name: 'linux centos',
      bk_agent_id: '',
      bk_addressing: 'static',
      operator: '',
      bk_bak_operator: '',
      ...attributes,
      bk_host_id: hostId,
      bk_host_innerip: innerIp,
      bk_supplier_account: SUPPLIER_ACCOUNT,
      create_time: time,
      last_time: time,
    };
    this.#insert(this.#hosts, hostId, host, 'host');
    for (const moduleId of targets) this.#relate(hostId, moduleId);
    return structuredClone(host);
  }

  updateBusiness(bizId: number, patch: CmdbDetail): EmulatedBusiness {
    return this.#update(this.#businesses, bizId, 'business', patch, 'biz', ['bk_biz_id']);
  }

  updateSet(setId: number, patch: CmdbDetail): EmulatedSet {
    return this.#update(this.#sets, setId, 'set', patch, 'set', ['bk_set_id', 'bk_biz_id', 'bk_parent_id']);
  }

  updateModule(moduleId: number, patch: CmdbDetail): EmulatedModule {
    return this.#update(this.#modules, moduleId, 'module', patch, 'module', ['bk_module_id', 'bk_set_id', 'bk_biz_id', 'bk_parent_id']);
  }

  updateHost(hostId: number, patch: CmdbDetail): EmulatedHost {
    return this.#update(this.#hosts, hostId, 'host', patch, 'host', ['bk_host_id']);
  }

  /**
   * Moves a host to `moduleIds` (one business) the way CMDB's transfer does it: every current
   * cc_ModuleHostConfig row is deleted, then the new rows inserted, so host_relation sees delete + create.
   */
  transferHost(hostId: number, moduleIds: number[]): void {
    this.#get(this.#hosts, hostId, 'host');
    this.#checkTransferTargets(moduleIds);
    this.#unrelateHost(hostId);
    for (const moduleId of moduleIds) this.#relate(hostId, moduleId);
  }

  deleteHost(hostId: number): void {
    this.#get(this.#hosts, hostId, 'host');
    this.#unrelateHost(hostId);
    this.#remove(this.#hosts, hostId, 'host');
  }

  /** Refused while hosts sit in it, and for the idle, fault and recycle modules. */
  deleteModule(moduleId: number): void {
    const module = this.#get(this.#modules, moduleId, 'module').doc;
    if (module.default !== 0) throw new TopologyRuleError(`module ${moduleId} is a built-in module of business ${module.bk_biz_id}`);
    this.#requireNoHosts((relation) => relation.bk_module_id === moduleId, `module ${moduleId}`);
    this.#remove(this.#modules, moduleId, 'module');
  }

  /** Deletes the set's modules first, as CMDB does; refused while hosts sit in it and for the idle set. */
  deleteSet(setId: number): void {
    const set = this.#get(this.#sets, setId, 'set').doc;
    if (set.default !== 0) throw new TopologyRuleError(`set ${setId} is the idle set of business ${set.bk_biz_id}`);
    this.#deleteSetTree(setId);
  }

  /** Deletes the business with all its sets and modules; refused for the resource pool and while it has hosts. */
  deleteBusiness(bizId: number): void {
    const business = this.#get(this.#businesses, bizId, 'business').doc;
    if (business.default !== 0) throw new TopologyRuleError(`business ${bizId} is the resource pool`);
    for (const set of [...this.#sets.values()].filter((stored) => stored.doc.bk_biz_id === bizId)) {
      this.#deleteSetTree(set.doc.bk_set_id);
    }
    this.#remove(this.#businesses, bizId, 'biz');
  }

  snapshot(): CmdbTopologySnapshot {
    const docs = <T>(map: Map<number, Stored<T>>) =>
      [...map.entries()].sort(([a], [b]) => a - b).map(([, stored]) => structuredClone(stored.doc));
    const hostRelations = [...this.#relations.values()]
      .map((stored) => structuredClone(stored.doc))
      .sort((a, b) => a.bk_host_id - b.bk_host_id || a.bk_module_id - b.bk_module_id);
    return {
      businesses: docs(this.#businesses),
      sets: docs(this.#sets),
      modules: docs(this.#modules),
      hosts: docs(this.#hosts),
      hostRelations,
    };
  }

  /** Unix seconds on the emulator's clock. */
  nowSeconds(): number {
    return this.#nowSec();
  }

  // ---- internals ----

  #chain(resource: CmdbWatchResource): EventChain {
    let chain = this.#chains.get(resource);
    if (!chain) {
      chain = new EventChain(resource, this.retentionSeconds);
      this.#chains.set(resource, chain);
    }
    return chain;
  }

  #emit(resource: CmdbWatchResource, eventType: CmdbEventType, oid: string, detail: CmdbDetail): void {
    const chain = this.#chain(resource);
    // Pruning on write too keeps an unwatched chain from growing past the window in a long demo run.
    chain.prune(this.#nowSec());
    chain.append(eventType, oid, this.#nextClusterTime(), detail);
    for (const listener of this.#listeners) listener(resource);
  }

  #insert<T extends CmdbDetail>(map: Map<number, Stored<T>>, id: number, doc: T, resource: CmdbWatchResource): void {
    const stored = { oid: this.#nextOid(), doc };
    map.set(id, stored);
    this.#emit(resource, 'create', stored.oid, doc);
  }

  #update<T extends CmdbDetail>(
    map: Map<number, Stored<T>>,
    id: number,
    kind: string,
    patch: CmdbDetail,
    resource: CmdbWatchResource,
    fixedFields: string[],
  ): T {
    const stored = this.#get(map, id, kind);
    const fixed = fixedFields.find((field) => Object.hasOwn(patch, field));
    if (fixed) throw new TopologyRuleError(`${fixed} of ${kind} ${id} cannot be changed by an update`);
    stored.doc = { ...stored.doc, ...structuredClone(patch), last_time: this.#isoNow() };
    this.#emit(resource, 'update', stored.oid, stored.doc);
    return structuredClone(stored.doc);
  }

  #remove<T extends CmdbDetail>(map: Map<number, Stored<T>>, id: number, resource: CmdbWatchResource): void {
    const stored = map.get(id);
    if (!stored) return;
    map.delete(id);
    // A delete event carries the pre-delete document (CMDB reads it from the del-archive table).
    this.#emit(resource, 'delete', stored.oid, stored.doc);
  }

  #get<T>(map: Map<number, Stored<T>>, id: number, kind: string): Stored<T> {
    const stored = map.get(id);
    if (!stored) throw new TopologyRuleError(`${kind} ${id} does not exist`);
    return stored;
  }

  #relate(hostId: number, moduleId: number): void {
    const module = this.#get(this.#modules, moduleId, 'module').doc;
    const relation: CmdbHostRelation = {
      bk_biz_id: module.bk_biz_id,
      bk_set_id: module.bk_set_id,
      bk_module_id: moduleId,
      bk_host_id: hostId,
      bk_supplier_account: SUPPLIER_ACCOUNT,
    };
    const stored = { oid: this.#nextOid(), doc: relation };
    this.#relations.set(`${hostId}:${moduleId}`, stored);
    this.#emit('host_relation', 'create', stored.oid, relation);
  }

  #unrelateHost(hostId: number): void {
    for (const [key, stored] of [...this.#relations.entries()]) {
      if (stored.doc.bk_host_id !== hostId) continue;
      this.#relations.delete(key);
      this.#emit('host_relation', 'delete', stored.oid, stored.doc);
    }
  }

  #checkTransferTargets(moduleIds: number[]): void {
    if (moduleIds.length === 0) throw new TopologyRuleError('a host must sit in at least one module');
    const businesses = new Set(moduleIds.map((moduleId) => this.#get(this.#modules, moduleId, 'module').doc.bk_biz_id));
    if (businesses.size > 1) throw new TopologyRuleError(`modules ${moduleIds.join(', ')} span several businesses; a host belongs to one`);
  }

  #requireNoHosts(inScope: (relation: CmdbHostRelation) => boolean, what: string): void {
    const hosts = [...this.#relations.values()].filter((stored) => inScope(stored.doc)).map((stored) => stored.doc.bk_host_id);
    if (hosts.length > 0) throw new TopologyRuleError(`${what} still holds hosts ${[...new Set(hosts)].join(', ')}`);
  }

  #deleteSetTree(setId: number): void {
    this.#requireNoHosts((relation) => relation.bk_set_id === setId, `set ${setId}`);
    for (const module of [...this.#modules.values()].filter((stored) => stored.doc.bk_set_id === setId)) {
      this.#remove(this.#modules, module.doc.bk_module_id, 'module');
    }
    this.#remove(this.#sets, setId, 'set');
  }

  #idleModuleOf(bizId: number): EmulatedModule {
    const idle = [...this.#modules.values()].find((stored) => stored.doc.bk_biz_id === bizId && stored.doc.default === 1);
    if (!idle) throw new TopologyRuleError(`business ${bizId} has no idle module`);
    return idle.doc;
  }

  #nowSec(): number {
    return Math.floor(this.#clock() / 1000);
  }

  #isoNow(): string {
    return new Date(this.#clock()).toISOString();
  }

  /** Mongo cluster time: seconds plus an increment that orders changes within one second. */
  #nextClusterTime(): ClusterTime {
    const sec = this.#nowSec();
    const inc = sec === this.#lastClusterTime.sec ? this.#lastClusterTime.inc + 1 : 1;
    this.#lastClusterTime = { sec, inc };
    return this.#lastClusterTime;
  }

  /** 24-hex like an ObjectId: seconds, a per-emulator machine part, a counter. */
  #nextOid(): string {
    this.#oidCounter = (this.#oidCounter + 1) % 0x1000000;
    const seconds = (this.#nowSec() >>> 0).toString(16).padStart(8, '0');
    return seconds + this.#oidMachine + this.#oidCounter.toString(16).padStart(6, '0');
  }
}
