// The pure rules of CMDB replay, table-driven: how a run of events collapses onto the mirror, which fields are
// asked of CMDB, and what state an event is in for a sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapseChanges, mirrorKey } from '../../db/repositories/cmdb/cmdb-mirror.ts';
import { sinkStateOf } from '../../db/repositories/cmdb/cmdb-reports.ts';
import { effectiveFields } from '../../contracts/cmdb.ts';

test('a run of events collapses to the last change per object', () => {
  const host = (id: number, name: string) => ({ bk_host_id: id, bk_host_name: name });
  const cases: Array<[string, Array<[string, Record<string, unknown>]>, { upserts: string[]; deletes: number[] }]> = [
    ['create then update keeps the update', [['create', host(1, 'a')], ['update', host(1, 'b')]], { upserts: ['b'], deletes: [] }],
    ['create then delete deletes', [['create', host(1, 'a')], ['delete', host(1, 'a')]], { upserts: [], deletes: [1] }],
    ['delete then create (re-created) upserts', [['delete', host(1, 'a')], ['create', host(1, 'c')]], { upserts: ['c'], deletes: [] }],
    ['objects are independent', [['create', host(1, 'a')], ['delete', host(2, 'x')], ['update', host(3, 'z')]], { upserts: ['a', 'z'], deletes: [2] }],
  ];
  for (const [name, events, expected] of cases) {
    const { upserts, deletes } = collapseChanges('host', events.map(([eventType, detail]) => ({ eventType, detail })));
    assert.deepEqual(
      { upserts: upserts.map((detail) => detail.bk_host_name), deletes: deletes.map((detail) => detail.bk_host_id) },
      expected,
      name,
    );
  }
});

test('a host transfer (host_relation delete + create) moves the host between modules', () => {
  const relation = (moduleId: number) => ({ bk_biz_id: 3, bk_set_id: 12, bk_module_id: moduleId, bk_host_id: 1024 });
  const { upserts, deletes } = collapseChanges('host_relation', [
    { eventType: 'delete', detail: relation(57) },
    { eventType: 'create', detail: relation(58) },
  ]);
  assert.deepEqual(upserts.map((detail) => mirrorKey('host_relation', detail)), ['1024:58']);
  assert.deepEqual(deletes.map((detail) => mirrorKey('host_relation', detail)), ['1024:57']);
  assert.throws(() => mirrorKey('host', { bk_host_id: 'abc' }), /integer id/);
});

test('CMDB is asked for the user fields plus what the sinks need, once each', () => {
  assert.deepEqual(effectiveFields('biz', ['bk_biz_maintainer', 'bk_biz_name']), ['bk_biz_id', 'bk_biz_name', 'default', 'bk_biz_maintainer']);
  assert.deepEqual(effectiveFields('host_relation', undefined), ['bk_biz_id', 'bk_set_id', 'bk_module_id', 'bk_host_id']);
});

test('an event is pending, applied, failed or dead for a sink', () => {
  const trouble = (state: 'failed' | 'dead' | 'redrive' | 'redriven') => ({ state, attempts: 2, lastError: 'HTTP 503', at: '' });
  const cases: Array<[number, number, Parameters<typeof sinkStateOf>[2], string]> = [
    [5, 4, undefined, 'pending'],
    [5, 5, undefined, 'applied'],
    [5, 4, trouble('failed'), 'failed'],
    [5, 5, trouble('dead'), 'dead'],
    [5, 5, trouble('redrive'), 'dead'],
    [5, 5, trouble('redriven'), 'applied'],
  ];
  for (const [seq, appliedSeq, entry, expected] of cases) assert.equal(sinkStateOf(seq, appliedSeq, entry), expected, `${seq}/${appliedSeq}/${entry?.state}`);
});
