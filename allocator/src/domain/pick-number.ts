import type { RandomSource } from './random.ts';

/**
 * The first number, from a random start and wrapping around, that is neither busy nor already tried.
 * A random start spreads replicas over the pool, so concurrent allocations rarely collide (first-fit
 * from index 0 makes every replica fight for the same numbers). Returns undefined when none is left.
 */
export function pickFreeNumber<T>(
  pool: readonly T[],
  isBusy: (entry: T) => boolean,
  random: RandomSource,
  tried: ReadonlySet<T> = new Set(),
): T | undefined {
  const n = pool.length;
  if (n === 0) return undefined;
  const start = random.int(n);
  for (let i = 0; i < n; i++) {
    const entry = pool[(start + i) % n] as T;
    if (!tried.has(entry) && !isBusy(entry)) return entry;
  }
  return undefined;
}
