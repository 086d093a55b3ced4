// Shared set-up of the CMDB tests: an emulator on an ephemeral 127.0.0.1 port and a client per access style.
import { CmdbClient } from '../../integrations/cmdb/client.ts';
import type { CmdbAccess, CmdbClientOptions } from '../../integrations/cmdb/client.ts';
import { startCmdbEmulator } from '../../integrations/cmdb/emulator/server.ts';
import type { CmdbEmulatorOptions, RunningCmdbEmulator } from '../../integrations/cmdb/emulator/server.ts';
import type { ResourceWatchRequest, ResourceWatchResult } from '../../integrations/cmdb/types.ts';
import { testOutbound } from '../support/outbound.ts';

export const TEST_AUTH = { appCode: 'opsflow-test', appSecret: 'test-secret-do-not-leak', username: 'ops-bot' };

export const ACCESS_STYLES = ['native', 'esb', 'apigw'] as const;
export type AccessStyle = (typeof ACCESS_STYLES)[number];

export function startTestEmulator(options: Partial<CmdbEmulatorOptions> = {}): Promise<RunningCmdbEmulator> {
  return startCmdbEmulator({ host: '127.0.0.1', holdMs: 200, errorPacingMs: 0, maxEventsPerCall: 200, auth: TEST_AUTH, ...options });
}

export function accessFor(style: AccessStyle, secret = TEST_AUTH.appSecret): CmdbAccess {
  switch (style) {
    case 'native':
      return { style, username: TEST_AUTH.username };
    case 'esb':
      return { style, appCode: TEST_AUTH.appCode, appSecret: secret, username: TEST_AUTH.username };
    case 'apigw':
      return { style, appCode: TEST_AUTH.appCode, appSecret: secret, username: TEST_AUTH.username, stage: 'prod' };
  }
}

export function clientFor(emulator: RunningCmdbEmulator, style: AccessStyle, overrides: Partial<CmdbClientOptions> = {}): CmdbClient {
  return new CmdbClient({ baseUrl: emulator.url, access: accessFor(style), outbound: testOutbound, ...overrides });
}

/** Follows a resource from `cursor` until CMDB answers the no-event placeholder; returns every batch. */
export async function drainWatch(
  client: CmdbClient,
  request: ResourceWatchRequest & { bk_cursor: string },
  maxCalls = 50,
): Promise<{ batches: ResourceWatchResult[]; cursor: string }> {
  const batches: ResourceWatchResult[] = [];
  let cursor = request.bk_cursor;
  for (let call = 0; call < maxCalls; call += 1) {
    const result = await client.resourceWatch({ ...request, bk_cursor: cursor });
    cursor = result.cursor;
    if (!result.watched) return { batches, cursor };
    batches.push(result);
  }
  throw new Error(`${request.bk_resource} watch did not go idle within ${maxCalls} calls`);
}
