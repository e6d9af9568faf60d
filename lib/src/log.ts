import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Fields that never reach a log line: credentials and callers' data. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'apiKey',
  'userData',
  '*.userData',
];

/** JSON lines on stdout, one logger per process; components take child loggers. */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino({
    name,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { component: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...options,
  });
}
