import type { RandomSource } from './random.ts';

/**
 * A numeric access code of `length` digits whose first digit is 1–9, so it survives clients that
 * read it as a JSON number (GES SDKs do). 9 × 10^(length-1) codes exist.
 */
export function generateAccessCode(length: number, random: RandomSource): string {
  let code = String(1 + random.int(9));
  for (let i = 1; i < length; i++) code += String(random.int(10));
  return code;
}

/** How many distinct codes of this length exist. */
export function accessCodeSpace(length: number): number {
  return 9 * 10 ** (length - 1);
}
