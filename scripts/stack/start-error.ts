// The one error a stack component (PostgreSQL, the Temporal dev server, a worker) raises when it cannot start:
// it names the component, the command that was run and the cause, so `opsflow up` and `npm test` can end with
// one readable line instead of a stack trace or an unhandled 'error' event.

export class ComponentStartError extends Error {
  readonly component: string;
  readonly command: string;
  readonly reason: string;

  constructor(component: string, command: string, reason: string, options?: { cause?: unknown }) {
    super(`${component} did not start\n  command: ${command}\n  cause:   ${reason}`, options);
    this.name = 'ComponentStartError';
    this.component = component;
    this.command = command;
    this.reason = reason;
  }
}

/** What a failed spawn or early exit says, in a person's words: `spawn … EACCES` becomes "permission denied …". */
export function describeSpawnFailure(error: NodeJS.ErrnoException, executable: string): string {
  switch (error.code) {
    case 'ENOENT':
      return `${executable} was not found`;
    case 'EACCES':
      return `permission denied executing ${executable}`;
    default:
      return error.message;
  }
}

/** The last lines a process printed, for a cause that says more than an exit code. */
export function lastLines(output: string, count = 6): string {
  const lines = output.split('\n').map((line) => line.trimEnd()).filter(Boolean);
  return lines.slice(-count).join('\n           ');
}

/** Runs `start`; any failure that is not already a ComponentStartError becomes one for `component`. */
export async function startingComponent<T>(component: string, command: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof ComponentStartError) throw error;
    throw new ComponentStartError(component, command, (error as Error).message ?? String(error), { cause: error });
  }
}
