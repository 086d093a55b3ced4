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

/** Failures of the host executors (integrations/hosts/errors.ts names its classes with these). */
export const HOST_FAILURES = {
  /** No connection, a connect or handshake timeout, or the connection dropped: may pass, retried. */
  unreachable: 'HostUnreachableError',
  /** The host refused the client key. */
  auth: 'HostAuthError',
  /** The host presented another key than the pinned one: a reinstalled host or a machine in the middle. */
  keyMismatch: 'HostKeyMismatchError',
  /** The request itself is wrong: a path outside the executor's root, an empty argv, a malformed sha256. */
  request: 'HostRequestError',
  /** The file written on the host does not have the expected sha256; nothing was put under the final name. */
  checksumMismatch: 'HostChecksumMismatchError',
  fileNotFound: 'HostFileNotFoundError',
  fileTooLarge: 'HostFileTooLargeError',
  /** The host could not carry out a file operation (permission denied, disk full, a missing tool). */
  fileOperation: 'HostFileOperationError',
} as const;

/** Only an unreachable host may answer differently next time; every other host failure needs a person. */
export const nonRetryableHostFailures: readonly string[] = [
  HOST_FAILURES.auth,
  HOST_FAILURES.keyMismatch,
  HOST_FAILURES.request,
  HOST_FAILURES.checksumMismatch,
  HOST_FAILURES.fileNotFound,
  HOST_FAILURES.fileTooLarge,
  HOST_FAILURES.fileOperation,
];

/** Failures of the nginx upstream drain (integrations/hosts/nginx-upstream.ts names its classes with these). */
export const NGINX_FAILURES = {
  /** The upstream asked for is invalid (a bad name, address or port, or no live member left): fix the request. */
  upstreamInvalid: 'NginxUpstreamInvalidError',
  /** `nginx -t` refused the configuration; the previous upstream file was put back. */
  config: 'NginxConfigError',
  /** The reload command failed, or the master's pid could not be read: nginx kept its old configuration. */
  reload: 'NginxReloadError',
  /** Old workers were still finishing requests when the time ran out: may pass, retried. */
  drainTimeout: 'NginxDrainTimeoutError',
} as const;

/** A refused upstream or configuration fails the same way every time: a person has to change it. */
export const nonRetryableNginxFailures: readonly string[] = [NGINX_FAILURES.upstreamInvalid, NGINX_FAILURES.config];
