import { checkDnis, normalizeDnis } from '#api';
import { AllocatorCode, AllocatorError } from './errors.ts';

/**
 * A phone number given to the API (caller or dialled number) in `+E.164` form; INVALID_INPUT naming
 * the field when it is not a possible E.164 number.
 */
export function parsePhoneNumber(field: string, value: string): string {
  const problem = checkDnis(value.trim());
  if (problem) {
    throw new AllocatorError(AllocatorCode.InvalidInput, `${field}: ${problem.message}`, {
      details: { field },
    });
  }
  return normalizeDnis(value);
}
