// The `opsflow cmdb-emulator` entry: flags parsed, server up, the change generator feeding events, clean shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CmdbClient } from '../../integrations/cmdb/client.ts';
import { runCmdbEmulatorFromArgs } from '../../integrations/cmdb/emulator/server.ts';
import { testOutbound } from '../support/outbound.ts';

test('runCmdbEmulatorFromArgs serves the emulator and keeps the topology moving', async () => {
  const emulator = await runCmdbEmulatorFromArgs(['--port', '0', '--hold-ms', '200', '--generate-every-ms', '5', '--app-secret', 'cli-secret']);
  try {
    const client = new CmdbClient({
      baseUrl: emulator.url,
      access: { style: 'apigw', appCode: 'opsflow-demo', appSecret: 'cli-secret', username: 'admin' },
      outbound: testOutbound,
    });
    let cursor = (await client.resourceWatch({ bk_resource: 'host_relation' })).cursor;
    let seen = 0;
    for (let call = 0; call < 100 && seen === 0; call += 1) {
      const result = await client.resourceWatch({ bk_resource: 'host_relation', bk_cursor: cursor });
      cursor = result.cursor;
      seen += result.events.length;
    }
    assert.ok(seen > 0, 'the generator produced host_relation events');
  } finally {
    await emulator.close();
  }
});

test('bad flags are refused with the flag named', async () => {
  await assert.rejects(runCmdbEmulatorFromArgs(['--hold-ms', 'soon']), /hold-ms/);
  await assert.rejects(runCmdbEmulatorFromArgs(['--no-such-flag']), /no-such-flag/);
});
