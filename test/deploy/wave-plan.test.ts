// Wave plans and failure thresholds, pinned edge by edge: Ansible `serial` semantics, the halves rule, and the
// exact point at which failures stop a release.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { planWaves, thresholdExceeded, type WaveStrategy, type FailurePolicy } from '../../contracts/deploy-waves.ts';

const hosts = (count: number) => Array.from({ length: count }, (_, index) => `h${index + 1}`);
const sizes = (count: number, strategy: WaveStrategy) => planWaves(hosts(count), strategy).map((wave) => wave.length);

describe('planWaves', () => {
  const cases: Array<[string, number, WaveStrategy, number[]]> = [
    ['no hosts, no waves', 0, { kind: 'waves', batches: [1, '50%'] }, []],
    ['one host', 1, { kind: 'waves', batches: [1, '50%', '100%'] }, [1]],
    ['the done-when rollout: [1, 50%, 100%] on 5 hosts', 5, { kind: 'waves', batches: [1, '50%', '100%'] }, [1, 2, 2]],
    ['percentages are of all hosts, not of those left', 8, { kind: 'waves', batches: [1, '25%', '100%'] }, [1, 2, 5]],
    ['the last size repeats', 7, { kind: 'waves', batches: [1, 2] }, [1, 2, 2, 2]],
    ['33% of 5 rounds down to 1', 5, { kind: 'waves', batches: ['33%'] }, [1, 1, 1, 1, 1]],
    ['a percentage never gives an empty wave', 3, { kind: 'waves', batches: ['10%'] }, [1, 1, 1]],
    ['a batch larger than what is left takes the rest', 3, { kind: 'waves', batches: [2, 10] }, [2, 1]],
    ['100% is one wave', 6, { kind: 'waves', batches: ['100%'] }, [6]],
    ['serial: one at a time', 4, { kind: 'serial' }, [1, 1, 1, 1]],
    ['halves: 3 hosts go one at a time', 3, { kind: 'halves' }, [1, 1, 1]],
    ['halves: 4 hosts go in two halves', 4, { kind: 'halves' }, [2, 2]],
    ['halves: an odd count puts the larger half first', 5, { kind: 'halves' }, [3, 2]],
    ['auto is the halves rule', 10, { kind: 'auto' }, [5, 5]],
  ];
  for (const [name, count, strategy, expected] of cases) {
    test(name, () => assert.deepEqual(sizes(count, strategy), expected));
  }

  test('every host is in exactly one wave, in the order given', () => {
    const waves = planWaves(hosts(9), { kind: 'waves', batches: [1, '30%'] });
    assert.deepEqual(waves.flat(), hosts(9));
    assert.deepEqual(waves[0], ['h1']);
  });

  test('sizes that cannot be planned are refused, naming the size', () => {
    assert.throws(() => planWaves(hosts(3), { kind: 'waves', batches: [0] }), /a batch of 0 hosts/);
    assert.throws(() => planWaves(hosts(3), { kind: 'waves', batches: ['150%'] }), /a batch of 150%/);
    assert.throws(() => planWaves(hosts(3), { kind: 'waves', batches: [1.5] }), /a batch of 1.5 hosts/);
    assert.throws(() => planWaves(hosts(3), { kind: 'waves', batches: [] }), /at least one batch/);
  });
});

describe('thresholdExceeded', () => {
  const cases: Array<[string, number, number, FailurePolicy, boolean]> = [
    ['no policy: no failure goes on', 0, 5, {}, false],
    ['no policy: the first failure stops', 1, 5, {}, true],
    ['maxFailures 1: one failure goes on', 1, 5, { maxFailures: 1 }, false],
    ['maxFailures 1: two stop', 2, 5, { maxFailures: 1 }, true],
    ['maxFailures 0: the first failure stops', 1, 5, { maxFailures: 0 }, true],
    ['25% of 4: one failure (exactly 25%) goes on', 1, 4, { maxFailurePercent: 25 }, false],
    ['25% of 4: two stop', 2, 4, { maxFailurePercent: 25 }, true],
    ['33% of 5: one failure (20%) goes on', 1, 5, { maxFailurePercent: 33 }, false],
    ['33% of 5: two failures (40%) stop', 2, 5, { maxFailurePercent: 33 }, true],
    ['0%: the first failure stops', 1, 200, { maxFailurePercent: 0 }, true],
    ['both set: the stricter one stops it', 2, 10, { maxFailures: 1, maxFailurePercent: 50 }, true],
    ['both set: within both goes on', 1, 10, { maxFailures: 1, maxFailurePercent: 50 }, false],
    ['a failing last host of 1 with 100% allowed goes on', 1, 1, { maxFailurePercent: 100 }, false],
  ];
  for (const [name, failed, total, policy, expected] of cases) {
    test(name, () => assert.equal(thresholdExceeded(failed, total, policy), expected));
  }
});
