// Whether a host can be reached and used right now (for `POST /v1/hosts/:id/check`): connect, run `true`, and report
// the key the host presented and how long it took, or which failure stopped it, as data rather than a throw.
import { performance } from 'node:perf_hooks';
import { HOST_FAILURES } from '../../contracts/failure-types.ts';
import { OutboundRefusedError } from '../outbound/policy.ts';
import { HostError, HostKeyMismatchError } from './errors.ts';
import { presentsHostKey, type HostExecutor } from './executor.ts';

export type HostCheck =
  | { ok: true; latencyMs: number; hostKeyFingerprint?: string }
  /** `failure` is the error's name (contracts/failure-types.ts HOST_FAILURES, or OutboundRefusedError). */
  | { ok: false; latencyMs: number; failure: string; message: string; hostKeyFingerprint?: string };

/** The caller owns the executor: a check leaves its connection open for the calls that follow, or for close(). */
export async function checkHost(executor: HostExecutor, options: { timeoutMs: number }): Promise<HostCheck> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const fingerprint = () => (presentsHostKey(executor) && executor.presentedHostKeyFingerprint ? { hostKeyFingerprint: executor.presentedHostKeyFingerprint } : {});
  try {
    const result = await executor.run(['true'], { timeoutMs: options.timeoutMs });
    if (result.exitCode === 0) return { ok: true, latencyMs: elapsed(), ...fingerprint() };
    // A host too slow to run `true` is as good as unreachable; one whose `true` fails has an unusable login shell.
    const [failure, why] = result.timedOut
      ? [HOST_FAILURES.unreachable, `did not finish within ${options.timeoutMs} ms`]
      : [HOST_FAILURES.request, `exited with ${result.exitCode ?? result.signal}: the login shell is not usable`];
    return { ok: false, latencyMs: elapsed(), failure, message: `${executor.target}: \`true\` ${why}`, ...fingerprint() };
  } catch (error) {
    if (!(error instanceof HostError || error instanceof OutboundRefusedError)) throw error;
    const presented = error instanceof HostKeyMismatchError ? { hostKeyFingerprint: error.presentedFingerprint } : fingerprint();
    return { ok: false, latencyMs: elapsed(), failure: error.name, message: error.message, ...presented };
  }
}
