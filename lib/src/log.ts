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

/**
 * JSON lines on stdout, one logger per process; components take child loggers.
 *
 * Unless stdout is a terminal, lines are written asynchronously, gathered into 4 KiB writes and
 * flushed at least every second: at thousands of requests a second a write per line costs a tenth of
 * the allocator's CPU. pino flushes what is buffered when the process exits (also after an uncaught
 * exception); only a SIGKILL can lose the last second of lines.
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name,
      // The programs take the level from their settings (--log-level), never from here.
      level: 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { component: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...options,
    },
    logDestination(),
  );
}

/** Lines wait for up to this long, or until 4 KiB have gathered, before they are written. */
const LOG_FLUSH_INTERVAL_MS = 1_000;

function logDestination() {
  // On a terminal someone is reading along: lines go out at once, in order with other output.
  if (process.stdout.isTTY) return pino.destination({ dest: 1, sync: true });
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  return destination;
}
