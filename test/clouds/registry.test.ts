import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudAuthError } from '../../integrations/clouds/errors.ts';
import { CloudPluginError, UnknownCloudProviderError, createCloudRegistry, providerCatalog } from '../../integrations/clouds/registry.ts';
import { testOutbound } from '../support/outbound.ts';

describe('cloud registry', () => {
  let pluginDir: string;

  before(async () => {
    pluginDir = await mkdtemp(join(tmpdir(), 'opsflow-plugins-'));
    const validShape = `id: 'aws', displayName: 'Impostor', resourceTypes: ['instance'], credentialsSchema: { safeParse: () => ({ success: true }) }, connect: () => ({})`;
    await writeFile(join(pluginDir, 'no-export.mjs'), 'export const answer = 42;\n');
    await writeFile(join(pluginDir, 'bad-shape.mjs'), "export default { id: 'Bad Id', displayName: '', resourceTypes: ['toaster'], credentialsSchema: {} };\n");
    await writeFile(join(pluginDir, 'broken.mjs'), 'export default {{{;\n');
    await writeFile(join(pluginDir, 'duplicate.mjs'), `export const provider = { ${validShape} };\n`);
    await writeFile(join(pluginDir, 'factory-throws.mjs'), "export default () => { throw new Error('no API endpoint configured'); };\n");
  });

  after(async () => {
    await rm(pluginDir, { recursive: true, force: true });
  });

  test('has the built-in providers, and only the enabled ones when asked', async () => {
    const all = await createCloudRegistry({ outbound: testOutbound });
    assert.deepEqual(all.list().map((provider) => provider.id), ['sim', 'aws', 'aliyun']);
    const simOnly = await createCloudRegistry({ outbound: testOutbound, enabled: ['sim'] });
    assert.deepEqual(simOnly.list().map((provider) => provider.id), ['sim']);
    assert.throws(() => simOnly.get('aws'), UnknownCloudProviderError);
    await assert.rejects(createCloudRegistry({ outbound: testOutbound, enabled: ['sim', 'azure'] }), (error: unknown) => error instanceof UnknownCloudProviderError && /azure/.test(error.message));
  });

  test('connect checks the credentials against the provider schema and names bad fields, never values', async () => {
    const registry = await createCloudRegistry({ outbound: testOutbound });
    assert.throws(
      () => registry.connect('aws', { credentials: { accessKeyId: 'short', secretAccessKey: 'very-secret-value' } }),
      (error: unknown) => {
        assert.ok(error instanceof CloudAuthError);
        assert.match(error.message, /accessKeyId/);
        assert.ok(!error.message.includes('very-secret-value'));
        assert.ok(!error.message.includes('short'));
        return true;
      },
    );
    const session = registry.connect('sim', { credentials: { seed: 'registry' } });
    assert.ok((await session.listRegions()).length > 0);
  });

  test('the catalog lists providers, resource types and capabilities as data', async () => {
    const catalog = providerCatalog(await createCloudRegistry({ outbound: testOutbound }));
    const aws = catalog.find((entry) => entry.id === 'aws');
    assert.ok(aws);
    assert.equal(aws.displayName, 'Amazon Web Services');
    assert.deepEqual(aws.capabilities, { instanceLifecycle: true, dnsRecords: false, loadBalancerTargets: true });
    assert.ok(aws.resourceTypes.includes('load_balancer'));
    const aliyun = catalog.find((entry) => entry.id === 'aliyun');
    assert.ok(aliyun && !aliyun.resourceTypes.includes('load_balancer'));
    const schema = aws.credentialsJsonSchema as { properties: Record<string, unknown>; required: string[] };
    assert.ok('secretAccessKey' in schema.properties);
    assert.ok(schema.required.includes('accessKeyId'));
    assert.doesNotThrow(() => JSON.stringify(catalog));
  });

  test('a plugin that is not a provider is refused with a message naming it and the problem', async () => {
    const load = (file: string) => createCloudRegistry({ outbound: testOutbound, plugins: [join(pluginDir, file)] });
    await assert.rejects(load('no-export.mjs'), (error: unknown) =>
      error instanceof CloudPluginError && error.plugin.endsWith('no-export.mjs') && /neither a default export nor an export named "provider"/.test(error.message));
    await assert.rejects(load('bad-shape.mjs'), (error: unknown) => {
      assert.ok(error instanceof CloudPluginError);
      const problems = error.problems.join('\n');
      for (const field of ['id', 'displayName', 'resourceTypes.0', 'credentialsSchema', 'connect']) {
        assert.match(problems, new RegExp(`^${field.replace('.', '\\.')}:`, 'm'), `a problem names ${field}`);
      }
      return true;
    });
    await assert.rejects(load('broken.mjs'), (error: unknown) => error instanceof CloudPluginError && /could not be imported/.test(error.message));
    await assert.rejects(load('duplicate.mjs'), (error: unknown) => error instanceof CloudPluginError && /"aws" is already taken/.test(error.message));
    await assert.rejects(load('factory-throws.mjs'), (error: unknown) => error instanceof CloudPluginError && /no API endpoint configured/.test(error.message));
    await assert.rejects(createCloudRegistry({ outbound: testOutbound, plugins: ['opsflow-provider-that-does-not-exist'] }), (error: unknown) =>
      error instanceof CloudPluginError && error.plugin === 'opsflow-provider-that-does-not-exist' && /could not be imported/.test(error.message));
  });
});
