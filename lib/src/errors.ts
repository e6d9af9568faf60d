/**
 * The one base class for errors this project throws on purpose: a stable `code` that programs branch
 * on, a message for people, and optional `details` (field path, CSV line, value).
 */
export class AppError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: Code,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
