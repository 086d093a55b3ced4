// The Temporal Core runtime of a process: its logs go through opsflow's pino logger and its metrics are served
// in Prometheus format on 127.0.0.1:OPSFLOW_WORKER_METRICS_PORT. Must run before the first worker connection.
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  // The SDK reports every worker state change at INFO; for opsflow's users that is debug detail.
  INFO: 'debug',
  WARN: 'warn',
  ERROR: 'error',
};

function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[PINO_LEVEL[level]]({ ...meta }, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** Returns the URL of the runtime's Prometheus endpoint, or undefined when metrics are off. */
export function installTemporalRuntime(logger: Logger, metricsPort: number): string | undefined {
  const bindAddress = metricsPort > 0 ? `127.0.0.1:${metricsPort}` : undefined;
  Runtime.install({
    logger: temporalLogger(logger.child({ component: 'temporal' })),
    telemetryOptions: bindAddress ? { metrics: { prometheus: { bindAddress } } } : {},
  });
  return bindAddress ? `http://${bindAddress}/metrics` : undefined;
}
