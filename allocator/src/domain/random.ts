/** Randomness, injected: production passes a CSPRNG (node:crypto), tests a seeded source. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}
