import type { Logger } from './log.ts';

/**
 * Calls `close` once on SIGTERM or SIGINT, then exits; a second signal or a close that outlives
 * `graceMs` exits at once with code 1.
 */
export function onShutdownSignal(
  close: (signal: string) => Promise<void>,
  log: Logger,
  graceMs = 25_000,
): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal, graceMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ graceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    close(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
