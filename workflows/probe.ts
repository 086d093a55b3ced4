// Probe: one activity on the probe's own task queue, so a completed probe proves a worker polls that queue.
import { proxyActivities } from '@temporalio/workflow';
import type { ProbeActivities } from '../activities/probe.ts';
import { quickActivity } from '../contracts/activity-profiles.ts';
import type { ProbeInput, ProbeResult } from '../contracts/probe.ts';

const { recordProbeAnswer } = proxyActivities<ProbeActivities>(quickActivity);

export async function probeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  return recordProbeAnswer(input);
}
