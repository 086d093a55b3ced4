// SIGINT/SIGTERM start one graceful shutdown. Repeats are ignored: a terminal's Ctrl-C reaches the whole process
// group and the npm bootstrap forwards it too, so one key press can arrive twice. A watchdog ends a stuck shutdown.
const WATCHDOG_MS = 45_000;

export function shutdownOnSignals(shutdown: () => void): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down\n`);
    setTimeout(() => {
      process.stderr.write(`shutdown did not finish within ${WATCHDOG_MS / 1000} s; exiting\n`);
      process.exit(1);
    }, WATCHDOG_MS).unref();
    shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
