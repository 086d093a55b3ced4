// Waiting in tests for something another process does (a worker, Temporal, a schedule): poll until it shows.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value other than undefined or false, and returns that value. After `timeoutMs`
 * it fails naming `what` (a function is asked at that moment, so the message can show the state that was reached).
 */
export async function waitFor<T>(
  what: string | (() => string | Promise<string>),
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 90_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : await what()}`);
    await sleep(everyMs);
  }
}
