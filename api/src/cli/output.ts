/** Small helpers shared by the commands: usage errors, printing issues. */
import type { Issue } from '../issues.ts';

/** A mistake in how the command was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A user-facing failure (file missing, invalid input): printed without a stack trace, exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function printIssues(io: Io, prefix: string, errors: Issue[], warnings: Issue[] = []): void {
  for (const e of errors) io.stderr(`${prefix}${e.path}: ${e.message} [${e.rule}]\n`);
  for (const w of warnings) io.stderr(`${prefix}${w.path}: warning: ${w.message} [${w.rule}]\n`);
}
