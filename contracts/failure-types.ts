// The failure types (error names, ApplicationFailure types) workflows and activities decide on, in one file: what
// no retry can fix is listed here once, for the workflows' retry policies and the activities' catch blocks alike.

/** Failures of the cloud adapters (integrations/clouds/errors.ts names its classes with these) and of the sync. */
export const CLOUD_FAILURES = {
  auth: 'CloudAuthError',
  throttled: 'CloudThrottledError',
  notFound: 'CloudNotFoundError',
  unavailable: 'CloudUnavailableError',
  unsupported: 'CloudUnsupportedError',
  request: 'CloudRequestError',
  response: 'CloudResponseError',
  /** The account was deleted under a sync: its run row went with it. */
  accountGone: 'CloudAccountGoneError',
} as const;

/** The same call would fail the same way: the sync records the reason (or ends) instead of retrying. */
export const nonRetryableCloudSyncFailures: readonly string[] = [
  CLOUD_FAILURES.auth,
  CLOUD_FAILURES.notFound,
  CLOUD_FAILURES.unsupported,
  CLOUD_FAILURES.request,
  CLOUD_FAILURES.response,
  CLOUD_FAILURES.accountGone,
];

/** Failures of the CMDB client (integrations/cmdb/errors.ts names its classes with these) and of the replay. */
export const CMDB_FAILURES = {
  auth: 'CmdbAuthError',
  permission: 'CmdbPermissionError',
  invalidResponse: 'CmdbInvalidResponseError',
  /** A webhook receiver did not accept an event: retried with backoff until the attempt limit dead-letters it. */
  sinkUnavailable: 'CmdbSinkUnavailable',
  /** The outbound policy refused the CMDB address, or CMDB answered a redirect: only a configuration change helps. */
  outboundRefused: 'CmdbOutboundRefusedError',
  /** A webhook replay call stalled past its lease on the sink's position and another took over: retried. */
  sinkLeaseLost: 'CmdbSinkLeaseLost',
} as const;

/**
 * CMDB refuses a watcher for a reason only a person can fix: the watcher reports it as its state and waits for a
 * resync instead of retrying. (Not in the watchers' retry policies: a long-running watcher must not fail for it.)
 */
export const nonRetryableCmdbFailures: readonly string[] = [
  CMDB_FAILURES.auth,
  CMDB_FAILURES.permission,
  CMDB_FAILURES.invalidResponse,
  CMDB_FAILURES.outboundRefused,
];
