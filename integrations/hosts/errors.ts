// Typed failures of the host executors, one per way a caller must react: retry later, fix the key or the pinned
// host key, fix the request, or look at the host. Names come from contracts/failure-types.ts; messages name the host
// and never carry a private key.
import { HOST_FAILURES } from '../../contracts/failure-types.ts';

export abstract class HostError extends Error {
  /** The host as the executor names it: `ssh://user@address:port` or `local:<root>`. */
  readonly target: string;

  constructor(target: string, message: string, options?: ErrorOptions) {
    super(`${target}: ${message}`, options);
    this.target = target;
  }
}

/** Not reachable now (refused, timed out, connection lost): retrying later may succeed. */
export class HostUnreachableError extends HostError {
  override readonly name = HOST_FAILURES.unreachable;
}

/** The host did not accept the client key: install the public key for that user, or fix the configured key. */
export class HostAuthError extends HostError {
  override readonly name = HOST_FAILURES.auth;
}

/**
 * The host presented a key other than the pinned one. Either it was reinstalled (pin its new key after checking it
 * out of band) or something is in the middle: never connect anyway.
 */
export class HostKeyMismatchError extends HostError {
  override readonly name = HOST_FAILURES.keyMismatch;
  /** SHA256:... of the key the host presented. */
  readonly presentedFingerprint: string;
  readonly pinnedFingerprint: string;

  constructor(target: string, presentedFingerprint: string, pinnedFingerprint: string) {
    super(target, `host key mismatch: the host presented ${presentedFingerprint}, but ${pinnedFingerprint} is pinned; check the host out of band before pinning its new key`);
    this.presentedFingerprint = presentedFingerprint;
    this.pinnedFingerprint = pinnedFingerprint;
  }
}

/** The request cannot be carried out as asked (a path outside the root, an empty argv, a malformed sha256). */
export class HostRequestError extends HostError {
  override readonly name = HOST_FAILURES.request;
}

/** What was written does not hash to the expected sha256; the temporary file was removed, the final name untouched. */
export class HostChecksumMismatchError extends HostError {
  override readonly name = HOST_FAILURES.checksumMismatch;
  readonly path: string;
  readonly expectedSha256: string;
  readonly actualSha256: string;

  constructor(target: string, path: string, expectedSha256: string, actualSha256: string) {
    super(target, `${path}: the content written hashes to sha256 ${actualSha256}, not the expected ${expectedSha256}; nothing was put under that name`);
    this.path = path;
    this.expectedSha256 = expectedSha256;
    this.actualSha256 = actualSha256;
  }
}

export class HostFileNotFoundError extends HostError {
  override readonly name = HOST_FAILURES.fileNotFound;
  readonly path: string;

  constructor(target: string, path: string) {
    super(target, `${path}: no such file`);
    this.path = path;
  }
}

export class HostFileTooLargeError extends HostError {
  override readonly name = HOST_FAILURES.fileTooLarge;
  readonly path: string;
  readonly maxBytes: number;

  constructor(target: string, path: string, maxBytes: number) {
    super(target, `${path} is larger than the ${maxBytes} bytes allowed to be read`);
    this.path = path;
    this.maxBytes = maxBytes;
  }
}

/** The host could not carry out a file operation; `message` carries what the host said. */
export class HostFileOperationError extends HostError {
  override readonly name = HOST_FAILURES.fileOperation;
}
