// Sends the Temporal SDK's own log lines (worker state, bundling, core) through pino.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Installs the SDK runtime with a pino-backed logger; call once, before any worker or connection. */
export function installTemporalLogging(log: Logger, level: LogLevel = 'INFO'): void {
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      log[PINO_LEVEL[entry.level]]({ sdk: entry.meta }, entry.message);
    }),
  });
}
