// The example third-party provider, loaded the way operators load plugins: by path, at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { hasDnsRecords } from '../../integrations/clouds/provider.ts';
import { createCloudRegistry, providerCatalog } from '../../integrations/clouds/registry.ts';
import { runProviderContract } from './contract.ts';
import { testOutbound } from '../support/outbound.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const registry = await createCloudRegistry({ outbound: testOutbound, plugins: ['./examples/opsflow-provider-example'], baseDir: repoRoot });
const provider = registry.get('example-metal');

runProviderContract(
  'example-metal (plugin)',
  provider,
  ({ pageSize, credentials }) => registry.connect('example-metal', {
    credentials: { apiToken: credentials === 'invalid' ? 'em_revoked_token' : 'em_example_token' },
    pageSize,
  }),
  { smallPageSize: 4, relationsResolve: true },
);

test('the plugin appears in the catalog with its capability', () => {
  const entry = providerCatalog(registry).find((candidate) => candidate.id === 'example-metal');
  assert.ok(entry);
  assert.equal(entry.capabilities.dnsRecords, true);
  assert.deepEqual(entry.resourceTypes, ['instance', 'disk']);
});

test('its DNS capability is found by the type guard and works', async () => {
  const session = registry.connect('example-metal', { credentials: { apiToken: 'em_example_token' } });
  assert.ok(hasDnsRecords(session));
  await session.upsertDnsRecord({ zone: 'example.test', name: 'www', type: 'A', values: ['192.0.2.10'], ttlSeconds: 60 });
  assert.deepEqual((await session.listDnsRecords('example.test')).map((record) => record.values), [['192.0.2.10']]);
  await session.deleteDnsRecord('example.test', 'www', 'A');
  assert.deepEqual(await session.listDnsRecords('example.test'), []);
});
