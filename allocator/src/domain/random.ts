import { randomInt } from 'node:crypto';

/** Randomness, injected: production passes a CSPRNG (node:crypto), tests a seeded source. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

/** The production source: node:crypto's CSPRNG (access codes must not be guessable). */
export const cryptoRandom: RandomSource = { int: (max) => randomInt(max) };
