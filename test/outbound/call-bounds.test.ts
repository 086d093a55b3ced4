// Every call to a user-configured address is bounded below the heartbeat timeout of the activity profile that makes
// it, so no call outlives an attempt Temporal has given up on; the CMDB long poll is the one stated exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cmdbLongPoll, cmdbRelist, cmdbReplay, longListing } from '../../contracts/activity-profiles.ts';
import { CLOUD_CALL_TIMEOUT_MS } from '../../integrations/clouds/provider.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_WATCH_TIMEOUT_MS } from '../../integrations/cmdb/client.ts';
import { WEBHOOK_TIMEOUT_MS } from '../../integrations/cmdb/webhook.ts';
import type { ActivityOptions } from '@temporalio/workflow';

function heartbeatMs(profile: ActivityOptions): number {
  const match = /^(\d+) (seconds|minutes)$/.exec(String(profile.heartbeatTimeout));
  assert.ok(match, `the profile states its heartbeat timeout in seconds or minutes: ${String(profile.heartbeatTimeout)}`);
  return Number(match[1]) * (match[2] === 'minutes' ? 60_000 : 1000);
}

const bounds = [
  { call: 'a webhook delivery', timeoutMs: WEBHOOK_TIMEOUT_MS, profile: 'cmdbReplay', options: cmdbReplay },
  { call: 'a CMDB re-list page or bookmark', timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS, profile: 'cmdbRelist', options: cmdbRelist },
  { call: 'a cloud API call', timeoutMs: CLOUD_CALL_TIMEOUT_MS, profile: 'longListing', options: longListing },
];

for (const { call, timeoutMs, profile, options } of bounds) {
  test(`${call} (${timeoutMs} ms) ends before the ${profile} heartbeat timeout`, () => {
    assert.ok(timeoutMs < heartbeatMs(options), `${timeoutMs} ms is not below ${heartbeatMs(options)} ms`);
  });
}

test('the CMDB long poll outlasts CMDB\'s 20 s hold but not the attempt that makes it', () => {
  assert.ok(DEFAULT_WATCH_TIMEOUT_MS > 30_000, 'longer than the gateway\'s 30 s cut');
  assert.match(String(cmdbLongPoll.startToCloseTimeout), /^\d+ minutes$/);
  assert.ok(DEFAULT_WATCH_TIMEOUT_MS < Number(String(cmdbLongPoll.startToCloseTimeout).split(' ')[0]) * 60_000);
});
