// The issue's "done when": an AWS account pointed at a moto server with instances, VPCs, subnets, volumes and
// snapshots in two regions syncs exactly what moto reports; after a volume and a snapshot are deleted in moto
// and the account is synced again, exactly those carry expiredAt. Credentials stay out of logs and history.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { motoBinary, startMoto, type MotoServer } from '../clouds/moto-server.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

const regions = ['us-east-1', 'eu-west-1'];
const types = ['instance', 'vpc', 'subnet', 'disk', 'snapshot'];

describe('cloud sync of an AWS account on moto', () => {
  let moto: MotoServer;
  let stack: DomainStack;
  const credentials = { accessKeyId: 'AKIAMOTOTESTKEY00001', secretAccessKey: `moto-secret-${randomUUID()}` };
  const seeded: Record<string, { volumeId: string; snapshotId: string }> = {};

  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.endpoint, credentials: { ...credentials }, maxAttempts: 1 });

  /** What moto itself reports, as `type region externalId` lines. */
  async function motoInventory(): Promise<string[]> {
    const lines: string[] = [];
    for (const region of regions) {
      const client = ec2(region);
      const reservations = (await client.send(new DescribeInstancesCommand({}))).Reservations ?? [];
      for (const instance of reservations.flatMap((r) => r.Instances ?? [])) {
        if (instance.State?.Name !== 'terminated') lines.push(`instance ${region} ${instance.InstanceId}`);
      }
      for (const vpc of (await client.send(new DescribeVpcsCommand({}))).Vpcs ?? []) lines.push(`vpc ${region} ${vpc.VpcId}`);
      for (const subnet of (await client.send(new DescribeSubnetsCommand({}))).Subnets ?? []) lines.push(`subnet ${region} ${subnet.SubnetId}`);
      for (const volume of (await client.send(new DescribeVolumesCommand({}))).Volumes ?? []) lines.push(`disk ${region} ${volume.VolumeId}`);
      for (const snapshot of (await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []) lines.push(`snapshot ${region} ${snapshot.SnapshotId}`);
    }
    return lines.sort();
  }

  async function createAccount(options: { validate?: boolean } = {}): Promise<{ id: string; credentials: Record<string, string> }> {
    const created = await stack.call('POST', '/v1/cloud-accounts', {
      name: `moto-${randomUUID()}`,
      provider: 'aws',
      credentials,
      endpoint: moto.endpoint,
      regions,
      resourceTypes: types,
      syncIntervalMinutes: 0,
      ...options,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  async function inventory(accountId: string, expired: boolean): Promise<string[]> {
    const lines: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await stack.call('GET', `/v1/resources?accountId=${accountId}&expired=${expired}&limit=37${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      for (const item of page.body.items) lines.push(`${item.type} ${item.region} ${item.externalId}`);
      cursor = page.body.nextCursor;
    } while (cursor);
    return lines.sort();
  }

  async function syncNow(accountId: string): Promise<string> {
    const started = await stack.call('POST', `/v1/cloud-accounts/${accountId}/sync`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const result = await stack.client.workflow.getHandle(started.body.workflowId, started.body.runId).result();
    assert.equal(result.runs.length, types.length);
    for (const run of result.runs) assert.equal(run.state, 'succeeded', `${run.resourceType} sync: ${JSON.stringify(run)}`);
    return started.body.workflowId;
  }

  before(async () => {
    const binary = motoBinary();
    assert.ok(binary, 'moto_server is not installed: run the bootstrap (npm test installs it)');
    moto = await startMoto(binary);
    stack = await startDomainStack({ queues: ['cloud-sync'], env: { OPSFLOW_CLOUD_SYNC_PAGE_SIZE: '50' } });
    for (const region of regions) {
      const client = ec2(region);
      const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
      const subnet = await client.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.20.1.0/24', AvailabilityZone: `${region}a` }));
      await client.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 2, MaxCount: 2, InstanceType: 't3.micro', SubnetId: subnet.Subnet!.SubnetId! }));
      const volume = await client.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 20 }));
      await client.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 30 }));
      const snapshot = await client.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId!, Description: 'nightly' }));
      await client.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId!, Description: 'weekly' }));
      seeded[region] = { volumeId: volume.VolumeId!, snapshotId: snapshot.SnapshotId! };
    }
  });

  after(async () => {
    await stack?.close();
    await moto?.stop();
  });

  test('an account with validate: true is checked against moto and answered with masked credentials', async () => {
    const created = await createAccount({ validate: true });
    assert.deepEqual(Object.keys(created.credentials).sort(), ['accessKeyId', 'secretAccessKey']);
    assert.match(created.credentials.secretAccessKey!, /^\*\*\*\*/);
    assert.ok(!JSON.stringify(created).includes(credentials.secretAccessKey));
    const listed = await stack.call('GET', '/v1/cloud-accounts');
    assert.ok(!JSON.stringify(listed.body).includes(credentials.secretAccessKey));
  });

  test('the first sync stores exactly what moto reports in both regions, with relations', async () => {
    const accountId = (await createAccount()).id;
    await syncNow(accountId);
    const expected = await motoInventory();
    for (const type of types) assert.ok(expected.some((line) => line.startsWith(`${type} `)), `moto has some ${type}`);
    assert.deepEqual(await inventory(accountId, false), expected);
    assert.deepEqual(await inventory(accountId, true), []);

    const runs = await stack.call('GET', `/v1/sync-runs?accountId=${accountId}&resourceType=disk`);
    assert.equal(runs.body.items.length, 1);
    const diskRun = runs.body.items[0];
    assert.equal(diskRun.state, 'succeeded');
    const created = regions.map((region) => diskRun.counts[region].created).reduce((a, b) => a + b);
    assert.equal(created, expected.filter((line) => line.startsWith('disk ')).length);

    const snapshot = (await stack.call('GET', `/v1/resources?accountId=${accountId}&type=snapshot&q=${seeded['us-east-1']!.snapshotId}`)).body.items[0];
    const detail = await stack.call('GET', `/v1/resources/${snapshot.id}`);
    const snapshotOf = detail.body.relations.find((relation: { kind: string }) => relation.kind === 'snapshot_of');
    assert.equal(snapshotOf.externalId, seeded['us-east-1']!.volumeId);
    assert.ok(snapshotOf.resourceId, 'the volume it was taken from is in the inventory');
  });

  test('after a volume and a snapshot are deleted in moto, exactly those carry expiredAt', async () => {
    // A volume and snapshot of this test's own, so the ones the other tests look at stay.
    const volumeId = (await ec2('us-east-1').send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 10 }))).VolumeId!;
    const snapshotId = (await ec2('us-east-1').send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'doomed' }))).SnapshotId!;
    const accountId = (await createAccount()).id;
    await syncNow(accountId);
    assert.ok((await inventory(accountId, false)).includes(`snapshot us-east-1 ${snapshotId}`));
    await ec2('us-east-1').send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    await ec2('us-east-1').send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    await syncNow(accountId);
    assert.deepEqual(await inventory(accountId, true), [`disk us-east-1 ${volumeId}`, `snapshot us-east-1 ${snapshotId}`]);
    assert.deepEqual(await inventory(accountId, false), await motoInventory());
    const diskRuns = (await stack.call('GET', `/v1/sync-runs?accountId=${accountId}&resourceType=disk&state=succeeded`)).body.items;
    assert.equal(diskRuns.length, 2);
    assert.equal(diskRuns[0].counts['us-east-1'].expired, 1, 'the newest run expired the one volume');
    assert.equal(diskRuns[0].counts['eu-west-1'].expired, 0);
  });

  test('the credentials are in no log line and no workflow history', async () => {
    const accountId = (await createAccount({ validate: true })).id;
    await syncNow(accountId);
    const secret = credentials.secretAccessKey;
    assert.ok(!stack.log().includes(secret), 'API log');
    const workflowIds = [`cloud-sync:${accountId}`, ...types.map((type) => `cloud-sync:${accountId}:${type}`)];
    for (const workflowId of workflowIds) {
      const history = JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory());
      assert.ok(history.length > 100);
      assert.ok(!history.includes(secret), `history of ${workflowId}`);
      assert.ok(!history.includes(Buffer.from(secret).toString('base64').slice(0, 24)), `history of ${workflowId} (base64)`);
    }
  });
});
