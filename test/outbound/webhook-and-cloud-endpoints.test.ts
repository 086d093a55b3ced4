// The outbound policy where a webhook and a cloud endpoint override are called: a refused address or a redirect is
// a non-retryable failure that names the address masked, nothing reaches a refused host (the AWS SDK's sockets
// resolve names through the policy), and no error copies what the endpoint answered.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverWebhook, WebhookDeliveryError, type WebhookEventBody } from '../../integrations/cmdb/webhook.ts';
import { CloudRequestError, isCloudError } from '../../integrations/clouds/errors.ts';
import type { CloudSession } from '../../integrations/clouds/provider.ts';
import { awsProvider } from '../../integrations/clouds/providers/aws/index.ts';
import { aliyunProvider } from '../../integrations/clouds/providers/aliyun/index.ts';
import { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import { startFakeEndpoint, type FakeEndpoint } from '../clouds/fake-endpoint.ts';
import { testOutbound } from '../support/outbound.ts';

const event: WebhookEventBody = {
  eventId: 'e1',
  sourceId: 's1',
  resource: 'host',
  seq: 1,
  cursor: 'c1',
  eventType: 'create',
  detail: { bk_host_id: 1 },
  receivedAt: new Date(0).toISOString(),
};
const denyLoopback = new OutboundPolicy({ allow: [], deny: ['127.0.0.0/8', '::1/128'] });
/** Checks nothing before the call, so only the sockets' own lookup can refuse. */
class LookupOnlyPolicy extends OutboundPolicy {
  override async assertAllowed(): Promise<void> {}
}

const endpoints: FakeEndpoint[] = [];
async function endpoint(status: number, headers: Record<string, string>, body: string) {
  const requests: string[] = [];
  const started = await startFakeEndpoint((request, _body, response) => {
    requests.push(request.url ?? '');
    response.writeHead(status, headers).end(body);
  });
  endpoints.push(started);
  return { ...started, requests };
}
after(() => Promise.all(endpoints.map((started) => started.close())));

describe('webhook delivery through the policy', () => {
  test('a receiver answering a redirect is refused, not retryable, and its target gets nothing', async () => {
    const target = await endpoint(200, {}, '');
    const receiver = await endpoint(302, { location: `${target.url}/elsewhere` }, '');
    const error = await deliverWebhook(testOutbound, `${receiver.url}/hook?token=s3cr3t-token`, 'webhook-secret', event).catch((caught: unknown) => caught);
    assert.ok(error instanceof WebhookDeliveryError, String(error));
    assert.equal(error.retryable, false);
    assert.match(error.message, /redirect refused/);
    assert.match(error.message, /token=\*\*\*\*/);
    assert.doesNotMatch(error.message, /s3cr3t-token/);
    assert.equal(receiver.requests.length, 1);
    assert.deepEqual(target.requests, []);
  });

  test('a receiver the policy denies is never called and the failure is not retryable', async () => {
    const receiver = await endpoint(200, {}, '');
    const error = await deliverWebhook(denyLoopback, `${receiver.url}/hook`, 'webhook-secret', event).catch((caught: unknown) => caught);
    assert.ok(error instanceof WebhookDeliveryError, String(error));
    assert.equal(error.retryable, false);
    assert.match(error.message, /in OPSFLOW_OUTBOUND_DENY/);
    assert.deepEqual(receiver.requests, []);
  });

  test('a receiver that fails is retryable and its answer is not copied', async () => {
    const receiver = await endpoint(500, { 'content-type': 'text/html' }, '<html>internal-page-marker</html>');
    const error = await deliverWebhook(testOutbound, `${receiver.url}/hook`, 'webhook-secret', event).catch((caught: unknown) => caught);
    assert.ok(error instanceof WebhookDeliveryError, String(error));
    assert.equal(error.retryable, true);
    assert.equal(error.status, 500);
    assert.doesNotMatch(error.message, /internal-page-marker/);
  });
});

describe('cloud endpoint overrides through the policy', () => {
  const aws = { accessKeyId: 'AKIAOUTBOUNDTEST0001', secretAccessKey: 'not-a-real-secret-access-key' };
  const aliyun = { accessKeyId: 'LTAIoutboundtest', accessKeySecret: 'not-a-real-access-key-secret' };

  const refusals: Array<{ what: string; connect: (url: string) => CloudSession }> = [
    { what: 'AWS: a denied endpoint', connect: (url) => awsProvider.connect({ credentials: aws, endpoint: url, outbound: denyLoopback }) },
    {
      // Nothing is checked before the call, so only the SDK's sockets resolving through the policy can refuse.
      what: 'AWS: an endpoint name refused at connect time',
      connect: (url) => awsProvider.connect({ credentials: aws, endpoint: url.replace('127.0.0.1', 'localhost'), outbound: new LookupOnlyPolicy({ allow: [], deny: ['127.0.0.0/8', '::1/128'] }) }),
    },
    { what: 'Alibaba: a denied endpoint', connect: (url) => aliyunProvider.connect({ credentials: aliyun, endpoint: url, outbound: denyLoopback }) },
  ];
  for (const { what, connect } of refusals) {
    test(`${what} is a CloudRequestError and is never called`, async () => {
      const fake = await endpoint(200, {}, '');
      const session = connect(fake.url);
      const error = await session.listRegions().catch((caught: unknown) => caught);
      session.close();
      assert.ok(error instanceof CloudRequestError, String(error));
      assert.match(error.message, /in OPSFLOW_OUTBOUND_DENY/);
      assert.deepEqual(fake.requests, []);
    });
  }

  for (const provider of ['aws', 'aliyun'] as const) {
    test(`${provider}: an endpoint that is not the provider's API is described, its page not copied`, async () => {
      const fake = await endpoint(400, { 'content-type': 'text/html' }, '<html><body>internal-page-marker</body></html>');
      const session = provider === 'aws'
        ? awsProvider.connect({ credentials: aws, endpoint: fake.url, outbound: testOutbound })
        : aliyunProvider.connect({ credentials: aliyun, endpoint: fake.url, outbound: testOutbound });
      const error = await session.listRegions().catch((caught: unknown) => caught);
      session.close();
      assert.ok(isCloudError(error), String(error));
      assert.doesNotMatch(error.message, /internal-page-marker/);
      assert.equal(fake.requests.length, 1);
    });
  }
});
