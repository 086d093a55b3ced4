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

/** A dependency (Temporal) refused or could not be reached; the message says what was left unchanged. */
export class DependencyUnavailableError extends Error {
  readonly dependency: string;
  constructor(dependency: string, message: string) {
    super(message);
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
  }

  /** Temporal refused `what` (e.g. `start the sync`); the caller made sure that nothing was changed. */
  static temporalRefused(what: string, error: unknown): DependencyUnavailableError {
    const reason = error instanceof Error ? error.message : String(error);
    return new DependencyUnavailableError('temporal', `Temporal refused to ${what}; nothing was changed: ${reason}`);
  }
}
