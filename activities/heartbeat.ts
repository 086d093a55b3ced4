// Heartbeats of long activities: a timer that heartbeats while a call is outstanding, so a slow peer or a long
// wait never looks like a dead worker, and the cancellation signal handed to the work so a cancellation stops it.
import { Context } from '@temporalio/activity';

export interface HeartbeatOptions {
  /** Milliseconds between heartbeats; keep it well below the activity's heartbeatTimeout. */
  every: number;
  /** Read at every heartbeat: the progress to show (Web UI, describe) or for a retried attempt to resume from. */
  details?: () => unknown;
}

/**
 * Runs `work`, heartbeating at once and then every `options.every` ms until it settles. `signal` aborts when the
 * activity is cancelled: in the TypeScript SDK heartbeat() never throws, the server's cancellation arrives in a
 * heartbeat's answer and is delivered through the context's cancellation signal, so `work` must hand `signal` to
 * the call it waits on (fetch, a client) to stop within that call, and check it between pages. A cancellable
 * heartbeating sleep is `whileHeartbeating(() => Context.current().sleep(ms), options)`.
 */
export async function whileHeartbeating<T>(work: (signal: AbortSignal) => Promise<T>, options: HeartbeatOptions): Promise<T> {
  const context = Context.current();
  const beat = () => context.heartbeat(options.details?.());
  const timer = setInterval(beat, options.every);
  try {
    beat();
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

