// Structured logs (pino): JSON when piped, readable lines in a terminal.
import pino, { type Logger } from 'pino';
import { config } from './config';

function create(): Logger {
  const { LOG_LEVEL, LOG_FORMAT } = config();
  const pretty = LOG_FORMAT === 'pretty' || (LOG_FORMAT === 'auto' && process.stdout.isTTY === true);
  return pino({
    level: LOG_LEVEL,
    base: { pid: process.pid },
    transport: pretty
      ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
      : undefined,
  });
}

const globalForLog = globalThis as unknown as { safeguardLogger?: Logger };

export const log: Logger = globalForLog.safeguardLogger ?? (globalForLog.safeguardLogger = create());

export function childLogger(component: string): Logger {
  return log.child({ component });
}
