// The workflow of the heartbeat helper's test: runs one of its activities with a short heartbeat timeout, one
// attempt, and waits for a cancelled activity to finish so the test can read what the activity saw.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { HeartbeatTestActivities } from './heartbeat.test.ts';

const activities = proxyActivities<HeartbeatTestActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '1 second',
  retry: { maximumAttempts: 1 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export async function runHeartbeatTestActivity(name: keyof HeartbeatTestActivities): Promise<number> {
  return activities[name]();
}
