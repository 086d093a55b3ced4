// What a service answers when it cannot do what it was asked, independent of HTTP: api/errors.ts maps each type
// to a status in one place, the CLI and the demo read the same types.

/** A problem with one input field; `path` is relative to the operation's input, e.g. `resources.0.fields`. */
export interface InputIssue {
  path: string;
  message: string;
}

/** The input is well-formed but not acceptable (unknown provider, a resource CMDB refuses, ...); every issue at once. */
export class InvalidInputError extends Error {
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
    this.name = 'InvalidInputError';
    this.issues = issues;
  }

  static of(path: string, message: string): InvalidInputError {
    return new InvalidInputError([{ path, message }]);
  }
}

export class NotFoundError extends Error {
  constructor(message = 'Not found') {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The request contradicts the current state: a duplicate name, a change while another is applied, a delete under way. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * A dependency (Temporal) refused or could not be reached. The message says which dependency refused what and what
 * was left unchanged, and is what the caller sees; the dependency's own error text may name internals (namespaces,
 * addresses, ids), so it is kept apart in `reason`, for the operator's log only.
 */
export class DependencyUnavailableError extends Error {
  readonly dependency: string;
  readonly reason: string | undefined;
  constructor(dependency: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
    this.reason = cause === undefined ? undefined : cause instanceof Error ? cause.message : String(cause);
  }

  /** Temporal refused `what` (e.g. `start the sync`); the caller made sure that nothing was changed. */
  static temporalRefused(what: string, error: unknown): DependencyUnavailableError {
    return new DependencyUnavailableError('temporal', `Temporal refused to ${what}; nothing was changed`, error);
  }
}
