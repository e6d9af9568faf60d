import type { RandomSource } from './random.ts';

/**
 * A numeric access code of `length` digits whose first digit is 1–9, so it survives clients that
 * read it as a JSON number (GES SDKs do). 9 × 10^(length-1) codes exist.
 */
export function generateAccessCode(length: number, random: RandomSource): string {
  // One draw over every code: 12 digits (9 × 10^11) is within what node:crypto's randomInt takes.
  return String(10 ** (length - 1) + random.int(accessCodeSpace(length)));
}

/** How many distinct codes of this length exist. */
export function accessCodeSpace(length: number): number {
  return 9 * 10 ** (length - 1);
}
