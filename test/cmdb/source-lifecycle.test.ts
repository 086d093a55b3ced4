// A CMDB source's life against a real Temporal, without workers (nothing dials the CMDB): a duplicate name answers
// 409; when Temporal refuses a create, change or delete the API answers 503 and the source, its watchers and its
// schedules stay exactly as they were; deleting removes every watcher, schedule and replay.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

describe('CMDB source lifecycle', () => {
  let stack: DomainStack;
  let refusing: Awaited<ReturnType<DomainStack['apiWith']>>;

  const source = (overrides: Record<string, unknown> = {}) => ({
    name: `cmdb-${randomUUID()}`,
    // Never dialed: no worker runs in this file.
    baseUrl: 'http://127.0.0.1:9/',
    apiStyle: 'esb',
    appCode: 'opsflow',
    appSecret: 'app-secret',
    username: 'admin',
    resources: [
      { resource: 'biz', mode: 'realtime', fields: ['bk_biz_id', 'bk_biz_name'] },
      { resource: 'host_relation', mode: 'interval', intervalMinutes: 5 },
    ],
    sinks: [{ type: 'topology' }],
    ...overrides,
  });

  const running = async (workflowId: string) => {
    try {
      return (await stack.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch {
      return false;
    }
  };

  before(async () => {
    stack = await startDomainStack({ queues: [], workers: false, env: { OPSFLOW_CMDB_RETENTION_SECONDS: '3600' } });
    refusing = await stack.apiWith({ temporal: new Client({ connection: stack.client.connection, namespace: `opsflow-missing-${randomUUID()}` }) });
  });

  after(async () => {
    await refusing?.close();
    await stack?.close();
  });

  test('a name already taken answers 409', async () => {
    const first = await stack.call('POST', '/v1/cmdb/sources', source());
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const duplicate = await stack.call('POST', '/v1/cmdb/sources', source({ name: first.body.name }));
    assert.equal(duplicate.status, 409, JSON.stringify(duplicate.body));
    assert.equal(duplicate.body.error, 'conflict');
    assert.equal((await stack.call('GET', '/v1/cmdb/sources')).body.sources.length, 1);
    assert.equal((await stack.call('DELETE', `/v1/cmdb/sources/${first.body.id}`)).status, 204);
  });

  test('when Temporal refuses, create, change and delete answer 503 and the source stays as it was', async () => {
    const body = source();
    const refusedCreate = await refusing.call('POST', '/v1/cmdb/sources', body);
    assert.equal(refusedCreate.status, 503, JSON.stringify(refusedCreate.body));
    assert.equal(refusedCreate.body.error, 'temporal_unavailable');
    assert.match(refusedCreate.body.message, /Temporal refused to start the CMDB watchers; nothing was changed/);
    assert.equal((await stack.call('GET', '/v1/cmdb/sources')).body.sources.length, 0, 'no source row is left behind');

    const created = await stack.call('POST', '/v1/cmdb/sources', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const watcher = `cmdb-watch:${id}:biz`;
    const schedule = stack.client.schedule.getHandle(`cmdb-watch:${id}:host_relation`);
    const replay = `cmdb-replay:${id}:${created.body.sinks[0].id}`;
    assert.ok(await running(watcher));
    assert.ok(await running(replay));
    assert.equal((await schedule.describe()).spec.intervals?.[0]?.every, 5 * 60_000);

    const refusedPatch = await refusing.call('PATCH', `/v1/cmdb/sources/${id}`, {
      name: `renamed-${randomUUID()}`,
      resources: [{ resource: 'host_relation', mode: 'interval', intervalMinutes: 10 }],
    });
    assert.equal(refusedPatch.status, 503, JSON.stringify(refusedPatch.body));
    const unchanged = (await stack.call('GET', `/v1/cmdb/sources/${id}`)).body;
    assert.equal(unchanged.name, body.name);
    assert.deepEqual(unchanged.resources.map((watched: { resource: string }) => watched.resource), ['biz', 'host_relation']);
    assert.ok(await running(watcher), 'the biz watcher still runs');
    assert.equal((await schedule.describe()).spec.intervals?.[0]?.every, 5 * 60_000);

    const refusedDelete = await refusing.call('DELETE', `/v1/cmdb/sources/${id}`);
    assert.equal(refusedDelete.status, 503, JSON.stringify(refusedDelete.body));
    assert.equal((await stack.call('GET', `/v1/cmdb/sources/${id}`)).status, 200, 'the source is kept');
    assert.ok(await running(watcher));
    assert.ok(await running(replay));

    // A change goes through once Temporal accepts it, repairing whatever the refused attempts left out of step.
    const patched = await stack.call('PATCH', `/v1/cmdb/sources/${id}`, { resources: [{ resource: 'host_relation', mode: 'realtime' }] });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.ok(!(await running(watcher)), 'biz is no longer watched');
    assert.ok(await running(`cmdb-watch:${id}:host_relation`), 'host_relation is watched in realtime');
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);

    assert.equal((await stack.call('DELETE', `/v1/cmdb/sources/${id}`)).status, 204);
    assert.ok(!(await running(`cmdb-watch:${id}:host_relation`)));
    assert.ok(!(await running(replay)));
    assert.equal((await stack.call('GET', `/v1/cmdb/sources/${id}`)).status, 404);
  });
});
