// Named retry and timeout profiles for activities, so every call site says what kind of work it is.
import type { ActivityOptions } from '@temporalio/workflow';

/** A short database or API call: seconds, retried quickly, then with backoff. */
export const quickActivity: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * A long paged listing that heartbeats after every committed page: a dead worker is noticed within the heartbeat
 * timeout and the retry resumes from the last committed page. Throttling waits inside the attempt (the provider
 * says how long); an outage gets a few attempts, then the region is recorded as failed.
 */
export const longListing: ActivityOptions = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 4 },
};

/**
 * One CMDB resource_watch long poll (CMDB holds ~20 s, the client gives up at 35 s) and storing its batch. It
 * heartbeats while waiting, so a dead worker is noticed in seconds; an unreachable CMDB is retried with backoff.
 */
export const cmdbLongPoll: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/** A full CMDB re-list of one resource into the mirror: paged, heartbeating after every page. */
export const cmdbRelist: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Replaying stored events into one sink; a sink that is down is retried with backoff, without limit. */
export const cmdbReplay: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '20 seconds' },
};
