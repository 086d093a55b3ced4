// The AWS adapter against a real moto server (two seeded regions), plus a fake endpoint for the failures
// moto cannot produce (throttling, garbage answers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import {
  AttachVolumeCommand,
  CreateImageCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateCacheClusterCommand, CreateCacheSubnetGroupCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudResponseError, CloudThrottledError, CloudUnavailableError } from '../../integrations/clouds/errors.ts';
import { hasInstanceLifecycle, hasLoadBalancerTargets } from '../../integrations/clouds/provider.ts';
import { awsProvider } from '../../integrations/clouds/providers/aws/index.ts';
import { runProviderContract, listAll } from './contract.ts';
import { motoBinary, startMoto } from './moto-server.ts';
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts';
import type { MotoServer } from './moto-server.ts';
import { testOutbound } from '../support/outbound.ts';

const binary = motoBinary();
const regions = ['us-east-1', 'eu-west-1'];
let moto: MotoServer;
let key: { accessKeyId: string; secretAccessKey: string };
const seeded = new Map<string, { vpcId: string; subnetIds: string[]; securityGroupId: string; loadBalancerArn: string; imageId: string }>();

function clientConfig(region: string) {
  return { region, endpoint: moto.endpoint, credentials: key, maxAttempts: 1 };
}

async function seedRegion(region: string): Promise<void> {
  const ec2 = new EC2Client(clientConfig(region));
  const elastiCache = new ElastiCacheClient(clientConfig(region));
  const elbv2 = new ElasticLoadBalancingV2Client(clientConfig(region));
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId as string;
  await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'Name', Value: 'opsflow-test' }] }));
  const subnetIds: string[] = [];
  for (const [index, zone] of ['a', 'b'].entries()) {
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${index}.0/24`, AvailabilityZone: `${region}${zone}` }));
    subnetIds.push(subnet.Subnet?.SubnetId as string);
  }
  const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers', VpcId: vpcId }));
  const securityGroupId = group.GroupId as string;
  const instanceIds: string[] = [];
  // One reservation per call: moto pages DescribeInstances by reservation.
  for (let i = 0; i < 7; i++) {
    const run = await ec2.send(new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
      MinCount: i === 6 ? 2 : 1,
      MaxCount: i === 6 ? 2 : 1,
      SubnetId: subnetIds[i % 2],
      SecurityGroupIds: [securityGroupId],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `web-${i}` }, { Key: 'team', Value: 'payments' }] }],
    }));
    instanceIds.push(...(run.Instances ?? []).map((instance) => instance.InstanceId as string));
  }
  const volumeIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 20 + i, VolumeType: 'gp3' }));
    volumeIds.push(volume.VolumeId as string);
  }
  await ec2.send(new AttachVolumeCommand({ VolumeId: volumeIds[0], InstanceId: instanceIds[0], Device: '/dev/sdf' }));
  for (const volumeId of volumeIds.slice(0, 2)) await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'nightly' }));
  const image = await ec2.send(new CreateImageCommand({ InstanceId: instanceIds[1], Name: `golden-${region}` }));
  await elastiCache.send(new CreateCacheSubnetGroupCommand({ CacheSubnetGroupName: 'cache', CacheSubnetGroupDescription: 'cache', SubnetIds: subnetIds }));
  await elastiCache.send(new CreateCacheClusterCommand({
    CacheClusterId: 'sessions',
    Engine: 'redis',
    CacheNodeType: 'cache.t3.micro',
    NumCacheNodes: 1,
    CacheSubnetGroupName: 'cache',
    SecurityGroupIds: [securityGroupId],
  }));
  const loadBalancer = await elbv2.send(new CreateLoadBalancerCommand({
    Name: 'web',
    Subnets: subnetIds,
    SecurityGroups: [securityGroupId],
    Tags: [{ Key: 'team', Value: 'payments' }],
  }));
  const loadBalancerArn = loadBalancer.LoadBalancers?.[0]?.LoadBalancerArn as string;
  const targetGroup = await elbv2.send(new CreateTargetGroupCommand({ Name: 'web', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }));
  const targetGroupArn = targetGroup.TargetGroups?.[0]?.TargetGroupArn as string;
  await elbv2.send(new CreateListenerCommand({
    LoadBalancerArn: loadBalancerArn,
    Protocol: 'HTTP',
    Port: 80,
    DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
  }));
  seeded.set(region, { vpcId, subnetIds, securityGroupId, loadBalancerArn, imageId: image.ImageId as string });
  for (const client of [ec2, elastiCache, elbv2]) client.destroy();
}

// `npm test` installs moto, so a missing moto is a broken bootstrap: the tests fail rather than skip.
describe('aws provider against moto', () => {
  before(async () => {
    if (!binary) throw new Error('moto_server not found: set OPSFLOW_MOTO_SERVER_BIN or run the bootstrap (npm test)');
    moto = await startMoto(binary);
    key = await moto.createAdminAccessKey('opsflow-sync');
    await moto.enableAuthentication();
    for (const region of regions) await seedRegion(region);
  });

  after(async () => {
    await moto?.stop();
  });

  runProviderContract(
    'aws (moto)',
    awsProvider,
    ({ pageSize, credentials }) => awsProvider.connect({
      credentials: credentials === 'invalid' ? { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } : key,
      endpoint: moto.endpoint,
      outbound: testOutbound,
      pageSize,
    }),
    { regions: () => regions, smallPageSize: 5 },
  );

  test('the listing equals what moto reports after creates and deletes', async () => {
    const region = 'eu-west-1';
    const ec2 = new EC2Client(clientConfig(region));
    const session = awsProvider.connect({ outbound: testOutbound, credentials: key, endpoint: moto.endpoint, pageSize: 5 });
    try {
      const place = seeded.get(region);
      assert.ok(place);
      const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 'm5.large', MinCount: 3, MaxCount: 3, SubnetId: place.subnetIds[1] }));
      const fresh = (run.Instances ?? []).map((instance) => instance.InstanceId as string);
      const before = await listAll(session, 'instance', region);
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [fresh[0] as string, before[0]?.externalId as string] }));
      const volumes = (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [];
      const spare = volumes.find((volume) => volume.State === 'available' && (volume.Attachments ?? []).length === 0);
      await ec2.send(new DeleteVolumeCommand({ VolumeId: spare?.VolumeId }));
      const snapshots = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [];
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshots[0]?.SnapshotId }));

      const reported = ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])
        .flatMap((reservation) => reservation.Instances ?? [])
        .filter((instance) => instance.State?.Name !== 'terminated');
      const listed = await listAll(session, 'instance', region);
      assert.deepEqual(
        listed.map((resource) => [resource.externalId, resource.type === 'instance' && resource.attributes.instanceType]).sort(),
        reported.map((instance) => [instance.InstanceId, instance.InstanceType]).sort(),
      );
      assert.ok(listed.some((resource) => resource.externalId === fresh[1]), 'a created instance is listed');
      assert.ok(!listed.some((resource) => resource.externalId === fresh[0]), 'a terminated instance is not');

      const reportedVolumes = ((await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).map((volume) => volume.VolumeId).sort();
      assert.deepEqual((await listAll(session, 'disk', region)).map((resource) => resource.externalId).sort(), reportedVolumes);
      const reportedSnapshots = ((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []).map((snapshot) => snapshot.SnapshotId).sort();
      assert.deepEqual((await listAll(session, 'snapshot', region)).map((resource) => resource.externalId).sort(), reportedSnapshots);
    } finally {
      ec2.destroy();
      session.close();
    }
  });

  test('normalizes relations, tags and placement from what was seeded', async () => {
    const region = 'us-east-1';
    const session = awsProvider.connect({ outbound: testOutbound, credentials: key, endpoint: moto.endpoint });
    try {
      const place = seeded.get(region);
      assert.ok(place);
      const instances = await listAll(session, 'instance', region);
      const web0 = instances.find((resource) => resource.name === 'web-0');
      assert.ok(web0 && web0.type === 'instance');
      assert.equal(web0.tags['team'], 'payments');
      assert.equal(web0.attributes.subnetId, place.subnetIds[0]);
      assert.ok(web0.attributes.securityGroupIds.includes(place.securityGroupId));
      assert.ok(web0.relations?.some((relation) => relation.kind === 'in_subnet' && relation.toExternalId === place.subnetIds[0]));
      const attached = (await listAll(session, 'disk', region)).find((disk) => disk.type === 'disk' && disk.attributes.instanceId === web0.externalId && disk.attributes.device === '/dev/sdf');
      assert.ok(attached, 'the attached volume points at its instance');
      const [redis] = await listAll(session, 'redis', region);
      assert.ok(redis && redis.type === 'redis');
      assert.equal(redis.externalId, 'sessions');
      // moto does not echo a cache cluster's security groups; the VPC and subnets come from its subnet group.
      assert.equal(redis.attributes.vpcId, place.vpcId);
      assert.deepEqual(redis.relations?.filter((relation) => relation.kind === 'in_subnet').map((relation) => relation.toExternalId).sort(), [...place.subnetIds].sort());
      const [loadBalancer] = await listAll(session, 'load_balancer', region);
      assert.ok(loadBalancer && loadBalancer.type === 'load_balancer');
      assert.equal(loadBalancer.externalId, place.loadBalancerArn);
      assert.equal(loadBalancer.tags['team'], 'payments');
      assert.deepEqual([...loadBalancer.attributes.subnetIds].sort(), [...place.subnetIds].sort());
      const images = await listAll(session, 'image', region);
      assert.deepEqual(images.map((image) => image.externalId), [place.imageId]);
    } finally {
      session.close();
    }
  });

  test('creates, registers, deregisters and terminates an instance through the capabilities', async () => {
    const region = 'us-east-1';
    const session = awsProvider.connect({ outbound: testOutbound, credentials: key, endpoint: moto.endpoint });
    const elbv2 = new ElasticLoadBalancingV2Client(clientConfig(region));
    try {
      assert.ok(hasInstanceLifecycle(session) && hasLoadBalancerTargets(session));
      const place = seeded.get(region);
      assert.ok(place);
      const instance = await session.createInstance({
        region,
        name: 'scale-out-1',
        instanceType: 't3.small',
        imageId: 'ami-12c6146b',
        subnetId: place.subnetIds[0],
        securityGroupIds: [place.securityGroupId],
        tags: { wave: 'peak' },
      });
      assert.equal(instance.name, 'scale-out-1');
      assert.equal(instance.tags['wave'], 'peak');
      await session.registerTargets(region, place.loadBalancerArn, [instance.externalId]);
      const groups = await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: place.loadBalancerArn }));
      const targetGroupArn = groups.TargetGroups?.[0]?.TargetGroupArn as string;
      const targets = async () => ((await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [])
        .map((description) => description.Target?.Id);
      assert.deepEqual(await targets(), [instance.externalId]);
      await session.deregisterTargets(region, place.loadBalancerArn, [instance.externalId]);
      assert.deepEqual(await targets(), []);
      await session.terminateInstance(region, instance.externalId);
      const listed = await listAll(session, 'instance', region);
      assert.ok(!listed.some((resource) => resource.externalId === instance.externalId));
    } finally {
      elbv2.destroy();
      session.close();
    }
  });
});

describe('aws provider failure mapping', () => {
  let fake: FakeEndpoint;
  let answer: (response: ServerResponse) => void = () => {};
  let endpoint = '';

  before(async () => {
    fake = await startFakeEndpoint((_request, _body, response) => answer(response));
    endpoint = fake.url;
  });

  after(async () => {
    await fake?.close();
  });

  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'not-a-real-secret-value' };

  test('throttling maps to CloudThrottledError with the advised retry delay', async () => {
    answer = (response) => {
      response.writeHead(503, { 'retry-after': '7', 'content-type': 'text/xml' });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-1</RequestID></Response>');
    };
    const session = awsProvider.connect({ outbound: testOutbound, credentials, endpoint });
    try {
      await assert.rejects(session.list('vpc', 'us-east-1'), (error: unknown) => {
        assert.ok(error instanceof CloudThrottledError);
        assert.equal(error.retryAfterMs, 7000);
        assert.equal(error.providerCode, 'RequestLimitExceeded');
        assert.ok(!error.message.includes(credentials.secretAccessKey));
        return true;
      });
    } finally {
      session.close();
    }
  });

  test('a proxy page or garbage instead of the API answer gives CloudResponseError', async () => {
    const session = awsProvider.connect({ outbound: testOutbound, credentials, endpoint });
    try {
      answer = (response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html><body>Welcome to nginx!</body></html>');
      };
      await assert.rejects(session.list('instance', 'us-east-1'), CloudResponseError);
      await assert.rejects(session.list('load_balancer', 'us-east-1'), CloudResponseError);
      answer = (response) => {
        response.writeHead(200);
        response.end('{{{ definitely not xml');
      };
      await assert.rejects(session.list('subnet', 'us-east-1'), (error: unknown) => error instanceof CloudResponseError && /not the documented/.test(error.message));
    } finally {
      session.close();
    }
  });

  test('an endpoint that never answers gives CloudUnavailableError after the request timeout, instead of hanging the listing', { timeout: 60_000 }, async () => {
    answer = () => {};
    const session = awsProvider.connect({ credentials, endpoint, outbound: testOutbound });
    try {
      await assert.rejects(session.list('instance', 'us-east-1'), (error: unknown) => error instanceof CloudUnavailableError && /requestTimeout/.test(error.message));
    } finally {
      session.close();
    }
  });

  test('an endpoint that refuses connections gives CloudUnavailableError', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const address = closed.address();
    assert.ok(address && typeof address === 'object');
    await new Promise<void>((done) => closed.close(() => done()));
    const session = awsProvider.connect({ outbound: testOutbound, credentials, endpoint: `http://127.0.0.1:${address.port}` });
    try {
      await assert.rejects(session.listRegions(), CloudUnavailableError);
    } finally {
      session.close();
    }
  });
});
