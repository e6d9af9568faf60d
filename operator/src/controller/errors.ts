import { AppError } from '#lib';
import type { Reason } from './conditions.ts';

export const ReconcileCode = {
  /** The spec must be fixed: Ready=False with a reason, an Event, no retry. */
  Terminal: 'RECONCILE_TERMINAL',
  /** Come back after `delayMs`, without counting as a failure. */
  RetryLater: 'RECONCILE_RETRY_LATER',
} as const;
export type ReconcileCode = (typeof ReconcileCode)[keyof typeof ReconcileCode];

/** The spec (or something it references) must be fixed by a person; retrying will not help. */
export class TerminalError extends AppError<typeof ReconcileCode.Terminal> {
  readonly reason: Reason;
  constructor(
    reason: Reason,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(ReconcileCode.Terminal, message, options);
    this.reason = reason;
  }
}

/** Not an error: the reconcile should run again after `delayMs`. */
export class RetryLater extends AppError<typeof ReconcileCode.RetryLater> {
  readonly delayMs: number;
  constructor(delayMs: number, message = `retry in ${delayMs} ms`) {
    super(ReconcileCode.RetryLater, message);
    this.delayMs = delayMs;
  }
}
