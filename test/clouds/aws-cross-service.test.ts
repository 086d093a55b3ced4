// The AWS adapter's facts that need a second API: ElastiCache cluster tags (ListTagsForResource) and the
// instance -> load balancer membership from ELBv2 target groups, against moto and, for failures, a fake endpoint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { ServerResponse } from 'node:http';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateCacheClusterCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudThrottledError } from '../../integrations/clouds/errors.ts';
import { normalizedResourceSchema } from '../../integrations/clouds/provider.ts';
import type { CloudSession, NormalizedResource } from '../../integrations/clouds/provider.ts';
import { awsProvider } from '../../integrations/clouds/providers/aws/index.ts';
import { listEveryPage } from './contract.ts';
import { motoBinary, startMoto } from './moto-server.ts';
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts';
import type { MotoServer } from './moto-server.ts';
import { testOutbound } from '../support/outbound.ts';

interface CountingProxy {
  endpoint: string;
  /** The query-API Action of every request that passed, in order. */
  actions: string[];
  close(): Promise<void>;
}

/**
 * Forwards every request to moto unchanged (Host included, so SigV4 signatures still verify) and records its
 * Action, which shows how often the adapter walks ELBv2 while listing instances.
 */
async function startCountingProxy(target: string): Promise<CountingProxy> {
  const actions: string[] = [];
  const agent = new Agent({ keepAlive: true });
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString()).get('Action');
      if (action) actions.push(action);
      const upstream = httpRequest(`${target}${incoming.url ?? '/'}`, { method: incoming.method, headers: incoming.headers, agent }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      upstream.on('error', (error) => {
        outgoing.writeHead(502);
        outgoing.end(String(error));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    actions,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      agent.destroy();
    },
  };
}

function memberOf(resource: NormalizedResource | undefined): string[] {
  assert.ok(resource, 'the instance is listed');
  return (resource.relations ?? []).filter((relation) => relation.kind === 'member_of').map((relation) => `${relation.toType} ${relation.toExternalId}`);
}

describe('aws cache tags and load balancer membership against moto', () => {
  const region = 'ap-southeast-2';
  let moto: MotoServer;
  let proxy: CountingProxy;
  let key: { accessKeyId: string; secretAccessKey: string };
  const instances: Record<string, string> = {};
  let lonerPrivateIp = '';
  let frontHttpArn = '';

  const clientConfig = () => ({ region, endpoint: moto.endpoint, credentials: key, maxAttempts: 1 });
  const connect = (pageSize?: number): CloudSession => awsProvider.connect({ outbound: testOutbound, credentials: key, endpoint: proxy.endpoint, pageSize });

  before(async () => {
    const binary = motoBinary();
    if (!binary) throw new Error('moto_server not found: set OPSFLOW_MOTO_SERVER_BIN or run the bootstrap (npm test)');
    moto = await startMoto(binary);
    key = await moto.createAdminAccessKey('opsflow-cross-service');
    await moto.enableAuthentication();
    proxy = await startCountingProxy(moto.endpoint);

    const ec2 = new EC2Client(clientConfig());
    const elastiCache = new ElastiCacheClient(clientConfig());
    const elbv2 = new ElasticLoadBalancingV2Client(clientConfig());
    try {
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc?.VpcId as string;
      const subnetIds: string[] = [];
      for (const [index, zone] of ['a', 'b'].entries()) {
        const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.30.${index}.0/24`, AvailabilityZone: `${region}${zone}` }));
        subnetIds.push(subnet.Subnet?.SubnetId as string);
      }
      const securityGroupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId }))).GroupId as string;
      // One reservation each, so that a page size of 5 (moto pages by reservation) needs two instance pages.
      for (const name of ['in-front', 'in-both', 'loner', 'drained', 'orphaned', 'spare-1', 'spare-2']) {
        const run = await ec2.send(new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetIds[0],
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
        }));
        instances[name] = run.Instances?.[0]?.InstanceId as string;
        if (name === 'loner') lonerPrivateIp = run.Instances?.[0]?.PrivateIpAddress as string;
      }

      const loadBalancer = async (name: string) =>
        (await elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnetIds, SecurityGroups: [securityGroupId] }))).LoadBalancers?.[0]?.LoadBalancerArn as string;
      const targetGroup = async (name: string, port: number, targetType: 'instance' | 'ip') =>
        (await elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: port, VpcId: vpcId, TargetType: targetType }))).TargetGroups?.[0]?.TargetGroupArn as string;
      const forward = (loadBalancerArn: string, port: number, targetGroupArn: string) =>
        elbv2.send(new CreateListenerCommand({ LoadBalancerArn: loadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] }));
      const register = (targetGroupArn: string, ids: string[]) => elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: ids.map((Id) => ({ Id })) }));

      const front = await loadBalancer('front');
      const back = await loadBalancer('back');
      frontHttpArn = await targetGroup('front-http', 80, 'instance');
      const frontAdmin = await targetGroup('front-admin', 8080, 'instance');
      const backHttp = await targetGroup('back-http', 80, 'instance');
      const backByIp = await targetGroup('back-ip', 8081, 'ip');
      const orphan = await targetGroup('orphan', 80, 'instance');
      await forward(front, 80, frontHttpArn);
      await forward(front, 8080, frontAdmin);
      await forward(back, 80, backHttp);
      await forward(back, 8081, backByIp);
      // Two target groups of one load balancer must give one relation, not two.
      await register(frontHttpArn, [instances['in-front'] as string, instances['in-both'] as string, instances['drained'] as string]);
      await register(frontAdmin, [instances['in-front'] as string]);
      await register(backHttp, [instances['in-both'] as string]);
      // Behind `back` by address only: an ip target names no instance, so the loner stays a member of nothing.
      await register(backByIp, [lonerPrivateIp]);
      // Registered in a group that no load balancer forwards to: receives no traffic.
      await register(orphan, [instances['orphaned'] as string]);
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: frontHttpArn, Targets: [{ Id: instances['drained'] as string }] }));

      await elastiCache.send(new CreateCacheClusterCommand({
        CacheClusterId: 'sessions',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        NumCacheNodes: 1,
        Tags: [{ Key: 'team', Value: 'payments' }, { Key: 'env', Value: 'prod' }],
      }));
      await elastiCache.send(new CreateCacheClusterCommand({ CacheClusterId: 'scratch', Engine: 'redis', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 }));
    } finally {
      for (const client of [ec2, elastiCache, elbv2]) client.destroy();
    }
  });

  after(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  test('a listed redis cluster carries its ElastiCache tags', async () => {
    const session = connect();
    try {
      const { resources } = await listEveryPage(session, 'redis', region);
      const tags = Object.fromEntries(resources.map((resource) => [resource.externalId, resource.tags]));
      assert.deepEqual(tags, { sessions: { team: 'payments', env: 'prod' }, scratch: {} });
    } finally {
      session.close();
    }
  });

  test('an instance is member_of exactly the listed load balancers it is a registered instance target behind', async () => {
    const session = connect(5);
    try {
      const balancers = (await listEveryPage(session, 'load_balancer', region)).resources;
      const arnOf = (name: string) => {
        const listed = balancers.find((balancer) => balancer.name === name);
        assert.ok(listed, `load balancer ${name} is listed`);
        return `load_balancer ${listed.externalId}`;
      };
      proxy.actions.length = 0;
      const listing = await listEveryPage(session, 'instance', region);
      assert.ok(listing.pages >= 2, 'the instances span several pages');
      for (const resource of listing.resources) {
        const parsed = normalizedResourceSchema.safeParse(resource);
        assert.ok(parsed.success, parsed.error?.message);
      }
      const byName = (name: string) => listing.resources.find((resource) => resource.name === name);
      assert.deepEqual(memberOf(byName('in-front')), [arnOf('front')]);
      assert.deepEqual(memberOf(byName('in-both')).sort(), [arnOf('front'), arnOf('back')].sort());
      assert.deepEqual(memberOf(byName('loner')), [], 'an ip target is not an instance membership');
      assert.deepEqual(memberOf(byName('drained')), [], 'a deregistered instance is a member of nothing');
      assert.deepEqual(memberOf(byName('orphaned')), [], 'a group no load balancer uses gives no membership');
      assert.deepEqual(memberOf(byName('spare-1')), []);

      // The membership map is built once for the region, not per page: one target group walk, and one health
      // call per instance target group that a load balancer uses (front-http, front-admin, back-http).
      const count = (action: string) => proxy.actions.filter((candidate) => candidate === action).length;
      assert.equal(count('DescribeTargetGroups'), 1);
      assert.equal(count('DescribeTargetHealth'), 3);
      await listEveryPage(session, 'instance', region);
      assert.equal(count('DescribeTargetGroups'), 1, 'a second listing in the same session reuses the map');
    } finally {
      session.close();
    }
  });

  test('a new session sees a target registered after the previous one listed', async () => {
    const elbv2 = new ElasticLoadBalancingV2Client(clientConfig());
    const first = connect();
    const second = connect();
    try {
      const spare = instances['spare-2'] as string;
      const before = (await listEveryPage(first, 'instance', region)).resources.find((resource) => resource.externalId === spare);
      assert.deepEqual(memberOf(before), []);
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: frontHttpArn, Targets: [{ Id: spare }] }));
      const front = (await listEveryPage(second, 'load_balancer', region)).resources.find((balancer) => balancer.name === 'front');
      const afterRegistering = (await listEveryPage(second, 'instance', region)).resources.find((resource) => resource.externalId === spare);
      assert.deepEqual(memberOf(afterRegistering), [`load_balancer ${front?.externalId}`]);
    } finally {
      elbv2.destroy();
      first.close();
      second.close();
    }
  });
});

describe('aws cache tags and load balancer membership when the follow-up call fails', () => {
  let fake: FakeEndpoint;
  let endpoint = '';
  /** Answers one query-API action; unknown actions get a 400 so a test never passes by accident. */
  let answer: (action: string, body: URLSearchParams, response: ServerResponse) => void = () => {};
  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'not-a-real-secret-value' };

  before(async () => {
    fake = await startFakeEndpoint((_request, text, response) => {
      const body = new URLSearchParams(text);
      answer(body.get('Action') ?? '', body, response);
    });
    endpoint = fake.url;
  });

  after(async () => {
    await fake?.close();
  });

  const xml = (response: ServerResponse, status: number, text: string) => {
    response.writeHead(status, { 'content-type': 'text/xml' });
    response.end(`<?xml version="1.0" encoding="UTF-8"?>${text}`);
  };
  const queryError = (response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'text/xml', ...headers });
    response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} for the test</Message></Error><RequestId>req-fake</RequestId></ErrorResponse>`);
  };
  const cacheClusters = (response: ServerResponse) => {
    const cluster = (id: string) =>
      `<CacheCluster><CacheClusterId>${id}</CacheClusterId><Engine>redis</Engine><ARN>arn:aws:elasticache:us-east-1:123456789012:cluster:${id}</ARN></CacheCluster>`;
    xml(response, 200, `<DescribeCacheClustersResponse><DescribeCacheClustersResult><CacheClusters>${cluster('sessions')}${cluster('gone')}</CacheClusters></DescribeCacheClustersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeCacheClustersResponse>`);
  };

  test('a throttled ListTagsForResource fails the redis page with CloudThrottledError', async () => {
    answer = (action, _body, response) => {
      if (action === 'DescribeCacheClusters') return cacheClusters(response);
      if (action === 'ListTagsForResource') return queryError(response, 400, 'Throttling', { 'retry-after': '3' });
      queryError(response, 400, 'InvalidAction');
    };
    const session = awsProvider.connect({ outbound: testOutbound, credentials, endpoint });
    try {
      await assert.rejects(session.list('redis', 'us-east-1'), (error: unknown) => {
        assert.ok(error instanceof CloudThrottledError, String(error));
        assert.equal(error.operation, 'ListTagsForResource');
        assert.equal(error.retryAfterMs, 3000);
        return true;
      });
    } finally {
      session.close();
    }
  });

  test('a cluster deleted between the listing and its tag call is left out of the page', async () => {
    answer = (action, body, response) => {
      if (action === 'DescribeCacheClusters') return cacheClusters(response);
      if (action === 'ListTagsForResource' && body.get('ResourceName')?.endsWith(':sessions')) {
        return xml(response, 200, '<ListTagsForResourceResponse><ListTagsForResourceResult><TagList><Tag><Key>team</Key><Value>payments</Value></Tag></TagList></ListTagsForResourceResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTagsForResourceResponse>');
      }
      if (action === 'ListTagsForResource') return queryError(response, 404, 'CacheClusterNotFound');
      queryError(response, 400, 'InvalidAction');
    };
    const session = awsProvider.connect({ outbound: testOutbound, credentials, endpoint });
    try {
      const page = await session.list('redis', 'us-east-1');
      assert.deepEqual(page.resources.map((resource) => [resource.externalId, resource.tags]), [['sessions', { team: 'payments' }]]);
    } finally {
      session.close();
    }
  });

  test('a throttled target group walk fails the instance page; the next page walks again and skips draining targets', async () => {
    let throttle = true;
    answer = (action, _body, response) => {
      if (action === 'DescribeInstances') {
        return xml(response, 200, '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId><instanceType>t3.micro</instanceType></item><item><instanceId>i-0fedcba9876543210</instanceId><instanceType>t3.micro</instanceType></item></instancesSet></item></reservationSet></DescribeInstancesResponse>');
      }
      if (action === 'DescribeTargetGroups' && throttle) return queryError(response, 400, 'Throttling');
      if (action === 'DescribeTargetGroups') {
        return xml(response, 200, '<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1</TargetGroupArn><TargetType>instance</TargetType><LoadBalancerArns><member>arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/2</member></LoadBalancerArns></member></TargetGroups></DescribeTargetGroupsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTargetGroupsResponse>');
      }
      if (action === 'DescribeTargetHealth') {
        return xml(response, 200, '<DescribeTargetHealthResponse><DescribeTargetHealthResult><TargetHealthDescriptions><member><Target><Id>i-0123456789abcdef0</Id><Port>80</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member><member><Target><Id>i-0fedcba9876543210</Id><Port>80</Port></Target><TargetHealth><State>draining</State></TargetHealth></member></TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTargetHealthResponse>');
      }
      queryError(response, 400, 'InvalidAction');
    };
    const session = awsProvider.connect({ outbound: testOutbound, credentials, endpoint });
    try {
      await assert.rejects(session.list('instance', 'us-east-1'), (error: unknown) => error instanceof CloudThrottledError && error.operation === 'DescribeTargetGroups');
      throttle = false;
      const page = await session.list('instance', 'us-east-1');
      assert.deepEqual(memberOf(page.resources[0]), ['load_balancer arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/2']);
      assert.deepEqual(memberOf(page.resources[1]), [], 'a draining target is on its way out (moto never reports one)');
    } finally {
      session.close();
    }
  });
});
