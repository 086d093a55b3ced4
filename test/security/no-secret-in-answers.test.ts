// Every secret a user hands opsflow (cloud credentials, a CMDB app secret, a webhook secret, a webhook URL's token)
// is absent from every GET answer of the API and from its log. The routes are read from /openapi.json, so a route
// added later is walked too; path and query parameters that take an id get the ids of the objects created here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
}

let stack: DomainStack;

before(async () => {
  // No workers: nothing dials the addresses below, and every answer comes from what the API stored.
  stack = await startDomainStack({ queues: [], workers: false });
});

after(() => stack?.close());

/** The URL of `path` with `{param}` and id-like query parameters filled from `ids`, one URL per id combination. */
function urlsOf(path: string, parameters: OpenApiParameter[], ids: string[]): string[] {
  let urls = [path];
  for (const parameter of parameters.filter((candidate) => candidate.in === 'path')) {
    urls = urls.flatMap((url) => ids.map((id) => url.replace(`{${parameter.name}}`, id)));
  }
  const idQueries = parameters.filter((candidate) => candidate.in === 'query' && /id$/i.test(candidate.name));
  return urls.flatMap((url) => [url, ...idQueries.flatMap((query) => ids.map((id) => `${url}?${query.name}=${id}`))]);
}

test('no GET answer and no log line carries a secret the user gave', async () => {
  const secrets = {
    awsSecretAccessKey: randomBytes(30).toString('base64url'),
    awsSessionToken: randomBytes(40).toString('base64url'),
    cmdbAppSecret: `app-${randomBytes(16).toString('hex')}`,
    webhookSecret: `hook-${randomBytes(16).toString('hex')}`,
    webhookUrlToken: `tok${randomBytes(16).toString('hex')}`,
  };
  const account = await stack.call('POST', '/v1/cloud-accounts', {
    name: `aws-${randomUUID()}`,
    provider: 'aws',
    credentials: { accessKeyId: 'AKIASECRETWALK000001', secretAccessKey: secrets.awsSecretAccessKey, sessionToken: secrets.awsSessionToken },
    endpoint: 'http://127.0.0.1:9',
    resourceTypes: ['instance'],
    syncIntervalMinutes: 0,
    validate: false,
  });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const source = await stack.call('POST', '/v1/cmdb/sources', {
    name: `cmdb-${randomUUID()}`,
    baseUrl: 'http://127.0.0.1:9/',
    apiStyle: 'esb',
    appCode: 'opsflow',
    appSecret: secrets.cmdbAppSecret,
    username: 'admin',
    resources: [{ resource: 'biz', mode: 'realtime', fields: ['bk_biz_id'] }],
    sinks: [{ type: 'webhook', url: `http://ops:${secrets.webhookSecret}@127.0.0.1:9/cmdb?token=${secrets.webhookUrlToken}&v=2`, secret: secrets.webhookSecret }],
  });
  assert.equal(source.status, 201, JSON.stringify(source.body));
  const ids = [account.body.id as string, source.body.id as string, source.body.sinks[0].id as string];

  const document = await stack.app.inject({ method: 'GET', url: '/openapi.json' });
  const paths = (document.json() as { paths: Record<string, { get?: { parameters?: OpenApiParameter[] } }> }).paths;
  const { authorization } = await stack.bearer('admin');
  const answered = new Map<string, number>();
  for (const [path, operations] of Object.entries(paths)) {
    if (!operations.get) continue;
    for (const url of urlsOf(path, operations.get.parameters ?? [], ids)) {
      const answer = await stack.app.inject({ method: 'GET', url, headers: { authorization } });
      if (answer.statusCode < 300) answered.set(path, answer.statusCode);
      for (const [name, secret] of Object.entries(secrets)) {
        assert.ok(!answer.body.includes(secret), `GET ${url} answered ${answer.statusCode} with the ${name}`);
      }
    }
  }
  // The walk reached the routes that show these objects, so the absence above is about real answers.
  for (const path of ['/v1/cloud-accounts', '/v1/cloud-accounts/{id}', '/v1/cmdb/sources', '/v1/cmdb/sources/{id}', '/v1/cmdb/sources/{id}/status']) {
    assert.equal(answered.get(path), 200, `GET ${path} was walked with a 200`);
  }
  const shown = await stack.call('GET', `/v1/cmdb/sources/${source.body.id}`, undefined, 'viewer');
  assert.equal(shown.body.sinks[0].url, 'http://127.0.0.1:9/cmdb?token=****&v=****', 'the webhook URL is shown without userinfo and query values');

  const log = stack.log();
  assert.ok(log.length > 0, 'the API logged the requests');
  for (const [name, secret] of Object.entries(secrets)) assert.ok(!log.includes(secret), `the API log holds the ${name}`);
});

test('a webhook URL sent back in its masked form keeps the stored URL and its token', async () => {
  const token = `tok${randomBytes(16).toString('hex')}`;
  const created = await stack.call('POST', '/v1/cmdb/sources', {
    name: `cmdb-${randomUUID()}`,
    baseUrl: 'http://127.0.0.1:9/',
    apiStyle: 'native',
    appCode: '',
    username: 'admin',
    resources: [{ resource: 'biz', mode: 'realtime', fields: ['bk_biz_id'] }],
    sinks: [{ type: 'webhook', url: `http://127.0.0.1:9/cmdb?token=${token}`, secret: 'webhook-secret' }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const sink = created.body.sinks[0] as { id: string; url: string };
  const patched = await stack.call('PATCH', `/v1/cmdb/sources/${created.body.id}`, { sinks: [{ type: 'webhook', id: sink.id, url: sink.url }] });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const [row] = await stack.orm.em.getConnection().execute<Array<{ sinks: Array<{ url?: string }> }>>('select sinks from cmdb_source where id = ?', [created.body.id]);
  assert.equal(row?.sinks[0]?.url, `http://127.0.0.1:9/cmdb?token=${token}`);
});
