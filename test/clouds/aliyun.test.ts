// The Alibaba Cloud adapter (official SDKs) against the local fixture server, in both signing styles.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudAuthError,
  CloudRequestError,
  CloudResponseError,
  CloudThrottledError,
  CloudUnavailableError,
  CloudUnsupportedError,
} from '../../integrations/clouds/errors.ts';
import type { CloudSession, ResourceType } from '../../integrations/clouds/provider.ts';
import { startAliyunFixture } from '../../integrations/clouds/providers/aliyun/fixture-server.ts';
import type { AliyunFixtureServer } from '../../integrations/clouds/providers/aliyun/fixture-server.ts';
import type { AliyunRegionRecords } from '../../integrations/clouds/providers/aliyun/fixture-data.ts';
import { aliyunProvider } from '../../integrations/clouds/providers/aliyun/index.ts';
import type { AliyunCredentials } from '../../integrations/clouds/providers/aliyun/index.ts';
import { runProviderContract, listAll } from './contract.ts';
import { testOutbound } from '../support/outbound.ts';

let fixture: AliyunFixtureServer;

before(async () => {
  fixture = await startAliyunFixture({ regions: ['cn-hangzhou', 'cn-shanghai', 'ap-southeast-1'] });
});

after(async () => {
  await fixture?.close();
});

function credentials(overrides: Partial<AliyunCredentials> = {}): AliyunCredentials {
  return { accessKeyId: fixture.accessKeyId, accessKeySecret: fixture.accessKeySecret, ...overrides };
}

function connect(overrides: Partial<AliyunCredentials> = {}, pageSize?: number): CloudSession {
  return aliyunProvider.connect({ outbound: testOutbound, credentials: credentials(overrides), endpoint: `http://${fixture.endpoint}`, pageSize });
}

for (const signatureVersion of ['v3', 'v2'] as const) {
  runProviderContract(
    `aliyun (fixture, ${signatureVersion === 'v3' ? 'header-signed' : 'query-signed'})`,
    aliyunProvider,
    ({ pageSize, credentials: which }) => connect(which === 'invalid' ? { signatureVersion, accessKeyId: 'LTAI5tNoSuchKey000000' } : { signatureVersion }, pageSize),
    { smallPageSize: 4, relationsResolve: true, regions: () => ['cn-hangzhou', 'cn-shanghai'] },
  );
}

describe('aliyun provider', () => {
  test('both signing styles reach the fixture and each product answers its own version', () => {
    const styles = new Set(fixture.requests.map((request) => request.style));
    assert.deepEqual([...styles].sort(), ['header', 'query']);
    const versions = new Set(fixture.requests.map((request) => `${request.version} ${request.action}`));
    for (const expected of ['2014-05-26 DescribeInstances', '2015-01-01 DescribeInstances', '2016-04-28 DescribeVSwitches', '2014-05-26 DescribeImages']) {
      assert.ok(versions.has(expected), `${expected} was called`);
    }
  });

  test('lists exactly the documented records, in normalized form', async () => {
    const session = connect({}, 7);
    const idsOf = (records: Record<string, unknown>[], field: string) => records.map((record) => String(record[field])).sort();
    const expectations: [ResourceType, keyof AliyunRegionRecords, string][] = [
      ['instance', 'instances', 'InstanceId'],
      ['disk', 'disks', 'DiskId'],
      ['snapshot', 'snapshots', 'SnapshotId'],
      ['image', 'images', 'ImageId'],
      ['security_group', 'securityGroups', 'SecurityGroupId'],
      ['vpc', 'vpcs', 'VpcId'],
      ['subnet', 'vSwitches', 'VSwitchId'],
      ['redis', 'kvStoreInstances', 'InstanceId'],
    ];
    for (const region of ['cn-shanghai', 'ap-southeast-1']) {
      for (const [type, records, idField] of expectations) {
        const listed = await listAll(session, type, region);
        assert.deepEqual(listed.map((resource) => resource.externalId).sort(), idsOf(fixture.records(region)[records], idField), `${type} in ${region}`);
      }
    }
    const [instance] = await listAll(session, 'instance', 'cn-shanghai');
    const record = fixture.records('cn-shanghai').instances[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(instance && instance.type === 'instance');
    assert.equal(instance.externalId, record['InstanceId']);
    assert.equal(instance.status, 'running');
    assert.equal(instance.attributes.vpcId, record['VpcAttributes']['VpcId']);
    assert.deepEqual(instance.attributes.privateIps, record['VpcAttributes']['PrivateIpAddress']['IpAddress']);
    assert.equal(instance.attributes.memoryMb, record['Memory']);
    assert.equal(instance.attributes.launchedAt, new Date(record['CreationTime']).toISOString());
    assert.equal(instance.tags['team'], 'payments');
    assert.deepEqual((instance.raw as Record<string, unknown>)['InstanceId'], record['InstanceId']);
    session.close();
  });

  test('a wrong AccessKey id or secret is refused as Alibaba does, without leaking the secret', async () => {
    const unknownKey = connect({ accessKeyId: 'LTAI5tNoSuchKey000000' });
    await assert.rejects(unknownKey.listRegions(), (error: unknown) => {
      assert.ok(error instanceof CloudAuthError);
      assert.equal(error.providerCode, 'InvalidAccessKeyId.NotFound');
      return true;
    });
    for (const signatureVersion of ['v3', 'v2'] as const) {
      const wrongSecret = connect({ accessKeySecret: 'wrong-secret-value-123', signatureVersion });
      await assert.rejects(wrongSecret.list('vpc', 'cn-hangzhou'), (error: unknown) => {
        assert.ok(error instanceof CloudAuthError);
        assert.equal(error.providerCode, 'SignatureDoesNotMatch');
        assert.ok(!error.message.includes('wrong-secret-value-123'));
        assert.ok(!error.message.includes(fixture.accessKeySecret));
        return true;
      });
    }
  });

  test('throttling maps to CloudThrottledError with the advised retry delay', async () => {
    const session = connect();
    fixture.throttle(1, 1500);
    await assert.rejects(session.list('instance', 'cn-hangzhou'), (error: unknown) => {
      assert.ok(error instanceof CloudThrottledError);
      assert.equal(error.retryAfterMs, 1500);
      assert.equal(error.providerCode, 'Throttling.User');
      return true;
    });
    fixture.throttle(1);
    await assert.rejects(session.list('vpc', 'cn-hangzhou'), (error: unknown) => error instanceof CloudThrottledError && error.retryAfterMs > 0);
    assert.equal((await session.list('vpc', 'cn-hangzhou')).resources.length > 0, true, 'the next call goes through');
  });

  test('a failing region gives CloudUnavailableError while the others keep working', async () => {
    const session = connect();
    fixture.failRegion('cn-shanghai');
    try {
      await assert.rejects(session.list('disk', 'cn-shanghai'), (error: unknown) => error instanceof CloudUnavailableError && error.region === 'cn-shanghai');
      assert.ok((await session.list('disk', 'cn-hangzhou')).resources.length > 0);
    } finally {
      fixture.restoreRegion('cn-shanghai');
    }
  });

  test('garbage instead of JSON gives CloudResponseError', async () => {
    const session = connect();
    fixture.answerGarbage(1);
    await assert.rejects(session.list('snapshot', 'cn-hangzhou'), CloudResponseError);
  });

  test('stale page tokens, unknown regions and unsupported types fail with typed errors', async () => {
    const session = connect();
    await assert.rejects(session.list('vpc', 'cn-hangzhou', 'not-a-page'), CloudRequestError);
    await assert.rejects(session.list('instance', 'cn-hangzhou', 'bm90LWEtdG9rZW4'), CloudRequestError);
    await assert.rejects(session.list('instance', 'eu-central-9'), (error: unknown) => error instanceof Error && error.name === 'CloudNotFoundError');
    await assert.rejects(session.list('load_balancer', 'cn-hangzhou'), CloudUnsupportedError);
  });
});
