import type { RandomSource } from './random.ts';

/** A seeded generator (mulberry32), so tests are repeatable. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return {
    int(max) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
    },
  };
}
