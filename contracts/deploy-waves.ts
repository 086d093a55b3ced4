// How a release splits its hosts into waves, and when failures stop it: small pure functions the release workflow (and
// the API, to show waves before a release starts) call, pinned by table tests (test/deploy/wave-plan.test.ts).
//
// Waves follow Ansible's `serial`: each batch is a host count or a percentage of ALL the release's hosts (not of the
// hosts left), a percentage rounds down but never below 1, and the last batch size repeats until every host has a
// wave. `[1, "25%", "100%"]` on 8 hosts gives waves of 1, 2 and 5. The old platform's rule is kept as `halves`
// (also `auto`): more than 3 hosts go in two halves (the larger first), 3 or fewer one at a time.

export type BatchSize = number | `${number}%`;

export type WaveStrategy = { kind: 'serial' } | { kind: 'halves' } | { kind: 'auto' } | { kind: 'waves'; batches: readonly BatchSize[] };

/** Hosts of one batch size, against the whole release's host count. */
export function batchHostCount(size: BatchSize, total: number): number {
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a batch of ${size} hosts: use a whole number of at least 1`);
    return size;
  }
  const percent = Number(size.slice(0, -1));
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) throw new RangeError(`a batch of ${size}: use a percentage above 0% and at most 100%`);
  return Math.max(1, Math.floor((total * percent) / 100));
}

/** The batch sizes a strategy gives for `total` hosts. */
function batchSizes(strategy: WaveStrategy, total: number): BatchSize[] {
  switch (strategy.kind) {
    case 'serial':
      return [1];
    case 'halves':
    case 'auto':
      return total > 3 ? [Math.ceil(total / 2)] : [1];
    case 'waves':
      if (strategy.batches.length === 0) throw new RangeError('waves need at least one batch size');
      return [...strategy.batches];
  }
}

/** The hosts in waves, in the order given; every host is in exactly one wave and no wave is empty. */
export function planWaves<T>(hosts: readonly T[], strategy: WaveStrategy): T[][] {
  const sizes = batchSizes(strategy, hosts.length);
  const waves: T[][] = [];
  let next = 0;
  for (let index = 0; next < hosts.length; index += 1) {
    const count = batchHostCount(sizes[Math.min(index, sizes.length - 1)]!, hosts.length);
    waves.push(hosts.slice(next, next + count));
    next += count;
  }
  return waves;
}

/**
 * When failures stop a release. Counted against the whole release: the release stops once its failed hosts exceed
 * `maxFailures`, or once they exceed `maxFailurePercent` of all its hosts (both strictly: 1 failure of 4 hosts with
 * 25% allowed goes on, 2 stop it). With neither set, the first failed host stops it (CodeDeploy's default).
 */
export interface FailurePolicy {
  maxFailures?: number;
  maxFailurePercent?: number;
}

export function thresholdExceeded(failed: number, total: number, policy: FailurePolicy): boolean {
  const { maxFailures, maxFailurePercent } = policy;
  if (maxFailures === undefined && maxFailurePercent === undefined) return failed > 0;
  if (maxFailures !== undefined && failed > maxFailures) return true;
  // Compared in whole numbers: failed / total > percent / 100, without floating-point rounding at the boundary.
  return maxFailurePercent !== undefined && failed * 100 > maxFailurePercent * total;
}
