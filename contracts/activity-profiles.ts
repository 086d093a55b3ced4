// Named retry and timeout profiles for activities, so every call site says what kind of work it is.
import type { ActivityOptions } from '@temporalio/workflow';

/** A short database or API call: seconds, retried quickly, then with backoff. */
export const quickActivity: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
