import { AppError } from '#lib';
import type { Reason } from './conditions.ts';

export const ReconcileCode = {
  /** The spec must be fixed: Ready=False with a reason, an Event, no retry. */
  Terminal: 'RECONCILE_TERMINAL',
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
