// Seeded topology churn for the emulator: the creations, host transfers, renames and deletions a live CMDB sees,
// always legal for CMDB and bounded in size, so a demo feed and the mirror tests have something real to follow.
import type { CmdbEmulatorState, CmdbTopologySnapshot } from './state.ts';

export type TopologyChangeKind =
  | 'create-business'
  | 'create-set'
  | 'create-module'
  | 'create-host'
  | 'transfer-host'
  | 'rename-business'
  | 'rename-set'
  | 'rename-module'
  | 'update-host'
  | 'delete-host'
  | 'delete-module'
  | 'delete-set'
  | 'delete-business';

export interface TopologyChange {
  kind: TopologyChangeKind;
  description: string;
}

export interface ChangeGeneratorLimits {
  businesses: number;
  setsPerBusiness: number;
  modulesPerSet: number;
  hosts: number;
}

export interface ChangeGeneratorOptions {
  seed?: number;
  limits?: Partial<ChangeGeneratorLimits>;
}

interface Candidate {
  kind: TopologyChangeKind;
  weight: number;
  apply: () => string;
}

const DEFAULT_LIMITS: ChangeGeneratorLimits = { businesses: 4, setsPerBusiness: 3, modulesPerSet: 3, hosts: 40 };
const BUSINESS_NAMES = ['payment', 'checkout', 'search', 'ledger', 'identity', 'billing'];
const REGIONS = ['gz', 'sh', 'bj', 'sz'];
const MODULE_NAMES = ['nginx', 'api', 'worker', 'redis', 'mysql', 'cron'];

export class CmdbChangeGenerator {
  readonly #state: CmdbEmulatorState;
  readonly #limits: ChangeGeneratorLimits;
  readonly #random: () => number;
  #serial = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(state: CmdbEmulatorState, options: ChangeGeneratorOptions = {}) {
    this.#state = state;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#random = mulberry32(options.seed ?? 1);
  }

  /** Applies one change chosen, by weight, among those CMDB would accept in the current topology. */
  step(): TopologyChange {
    const candidates = this.#candidates(this.#state.snapshot()).filter((candidate) => candidate.weight > 0);
    const total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
    let ticket = this.#random() * total;
    const chosen = candidates.find((candidate) => (ticket -= candidate.weight) < 0) ?? candidates[candidates.length - 1];
    if (!chosen) throw new Error('no topology change is possible');
    return { kind: chosen.kind, description: chosen.apply() };
  }

  run(count: number): TopologyChange[] {
    return Array.from({ length: count }, () => this.step());
  }

  /** Keeps changing the topology every `everyMs` until stop(); the timer does not hold the process open. */
  start(everyMs: number): void {
    this.stop();
    this.#timer = setInterval(() => this.step(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #candidates(topology: CmdbTopologySnapshot): Candidate[] {
    const state = this.#state;
    const limits = this.#limits;
    const userBusinesses = topology.businesses.filter((biz) => biz.default === 0);
    const userSets = topology.sets.filter((set) => set.default === 0);
    const userModules = topology.modules.filter((module) => module.default === 0);
    const occupiedModules = new Set(topology.hostRelations.map((row) => row.bk_module_id));
    const occupiedSets = new Set(topology.hostRelations.map((row) => row.bk_set_id));
    const occupiedBusinesses = new Set(topology.hostRelations.map((row) => row.bk_biz_id));
    const openBusinesses = userBusinesses.filter(
      (biz) => userSets.filter((set) => set.bk_biz_id === biz.bk_biz_id).length < limits.setsPerBusiness,
    );
    const openSets = userSets.filter(
      (set) => topology.modules.filter((module) => module.bk_set_id === set.bk_set_id).length < limits.modulesPerSet,
    );
    const emptyModules = userModules.filter((module) => !occupiedModules.has(module.bk_module_id));
    const emptySets = userSets.filter((set) => !occupiedSets.has(set.bk_set_id));
    const emptyBusinesses = userBusinesses.filter((biz) => !occupiedBusinesses.has(biz.bk_biz_id));
    // Targets of a transfer: business modules and every business's idle module (returning hosts to the pool).
    const transferTargets = topology.modules.filter((module) => module.default === 0 || module.default === 1);

    return [
      {
        kind: 'create-business',
        weight: userBusinesses.length === 0 ? 20 : userBusinesses.length < limits.businesses ? 2 : 0,
        apply: () => {
          const biz = state.createBusiness(`${this.#pick(BUSINESS_NAMES)}-${this.#nextSerial()}`);
          return `created business ${biz.bk_biz_id} ${biz.bk_biz_name}`;
        },
      },
      {
        kind: 'create-set',
        weight: openBusinesses.length > 0 ? 3 : 0,
        apply: () => {
          const set = state.createSet(this.#pick(openBusinesses).bk_biz_id, `${this.#pick(REGIONS)}-zone-${this.#nextSerial()}`);
          return `created set ${set.bk_set_id} ${set.bk_set_name} in business ${set.bk_biz_id}`;
        },
      },
      {
        kind: 'create-module',
        weight: openSets.length > 0 ? 3 : 0,
        apply: () => {
          const module = state.createModule(this.#pick(openSets).bk_set_id, `${this.#pick(MODULE_NAMES)}-${this.#nextSerial()}`);
          return `created module ${module.bk_module_id} ${module.bk_module_name} in set ${module.bk_set_id}`;
        },
      },
      {
        kind: 'create-host',
        weight: topology.hosts.length < limits.hosts ? 4 : 0,
        apply: () => {
          const serial = this.#nextSerial();
          const host = state.createHost(`10.0.${Math.floor(serial / 250) % 256}.${(serial % 250) + 1}`, {
            bk_host_name: `node-${serial}`,
            operator: 'alice,bob',
          });
          return `created host ${host.bk_host_id} ${String(host.bk_host_innerip)} in the resource pool`;
        },
      },
      {
        kind: 'transfer-host',
        weight: topology.hosts.length > 0 && transferTargets.length > 1 ? 6 : 0,
        apply: () => {
          const host = this.#pick(topology.hosts);
          const first = this.#pick(transferTargets);
          // Now and then a host serves two modules of one set, which CMDB allows outside the built-in modules.
          const sibling = userModules.find(
            (module) => first.default === 0 && module.bk_set_id === first.bk_set_id && module.bk_module_id !== first.bk_module_id,
          );
          const modules = sibling && this.#random() < 0.3 ? [first.bk_module_id, sibling.bk_module_id] : [first.bk_module_id];
          state.transferHost(host.bk_host_id, modules);
          return `transferred host ${host.bk_host_id} to modules ${modules.join(', ')}`;
        },
      },
      {
        kind: 'rename-business',
        weight: userBusinesses.length > 0 ? 2 : 0,
        apply: () => {
          const biz = this.#pick(userBusinesses);
          const name = `${this.#pick(BUSINESS_NAMES)}-${this.#nextSerial()}`;
          state.updateBusiness(biz.bk_biz_id, { bk_biz_name: name });
          return `renamed business ${biz.bk_biz_id} to ${name}`;
        },
      },
      {
        kind: 'rename-set',
        weight: userSets.length > 0 ? 2 : 0,
        apply: () => {
          const set = this.#pick(userSets);
          const name = `${this.#pick(REGIONS)}-zone-${this.#nextSerial()}`;
          state.updateSet(set.bk_set_id, { bk_set_name: name });
          return `renamed set ${set.bk_set_id} to ${name}`;
        },
      },
      {
        kind: 'rename-module',
        weight: userModules.length > 0 ? 2 : 0,
        apply: () => {
          const module = this.#pick(userModules);
          const name = `${this.#pick(MODULE_NAMES)}-${this.#nextSerial()}`;
          state.updateModule(module.bk_module_id, { bk_module_name: name });
          return `renamed module ${module.bk_module_id} to ${name}`;
        },
      },
      {
        kind: 'update-host',
        weight: topology.hosts.length > 0 ? 2 : 0,
        apply: () => {
          const host = this.#pick(topology.hosts);
          const name = `node-${this.#nextSerial()}`;
          state.updateHost(host.bk_host_id, { bk_host_name: name });
          return `renamed host ${host.bk_host_id} to ${name}`;
        },
      },
      {
        kind: 'delete-host',
        weight: topology.hosts.length > 5 ? 1 : 0,
        apply: () => {
          const host = this.#pick(topology.hosts);
          state.deleteHost(host.bk_host_id);
          return `deleted host ${host.bk_host_id}`;
        },
      },
      {
        kind: 'delete-module',
        weight: emptyModules.length > 0 ? 1 : 0,
        apply: () => {
          const module = this.#pick(emptyModules);
          state.deleteModule(module.bk_module_id);
          return `deleted module ${module.bk_module_id}`;
        },
      },
      {
        kind: 'delete-set',
        weight: emptySets.length > 0 ? 1 : 0,
        apply: () => {
          const set = this.#pick(emptySets);
          state.deleteSet(set.bk_set_id);
          return `deleted set ${set.bk_set_id} with its modules`;
        },
      },
      {
        kind: 'delete-business',
        weight: emptyBusinesses.length > 0 && userBusinesses.length > 1 ? 1 : 0,
        apply: () => {
          const biz = this.#pick(emptyBusinesses);
          state.deleteBusiness(biz.bk_biz_id);
          return `deleted business ${biz.bk_biz_id} with its sets and modules`;
        },
      },
    ];
  }

  #pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.#random() * items.length)];
    if (item === undefined) throw new Error('picked from an empty list');
    return item;
  }

  #nextSerial(): number {
    this.#serial += 1;
    return this.#serial;
  }
}

/** Small deterministic PRNG, so a seed replays the same change sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
