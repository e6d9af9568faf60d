import type { RandomSource } from './random.ts';

/**
 * Random draws before the scan: a free number is found in about 1 / (1 − fill) draws, where a scan
 * from a random start walks the runs of busy numbers that form as the pool fills (linear probing's
 * clustering: about 1 / (1 − fill)² steps).
 */
export const RANDOM_DRAWS = 8;

/**
 * A number that is neither busy nor already tried: up to RANDOM_DRAWS at random, then the first from
 * the last draw on, wrapping around. Random picks spread replicas over the pool, so concurrent
 * allocations rarely collide (first-fit from index 0 makes every replica fight for the same
 * numbers). Returns undefined when none is left.
 */
export function pickFreeNumber<T>(
  pool: readonly T[],
  isBusy: (entry: T) => boolean,
  random: RandomSource,
  tried: ReadonlySet<T> = new Set(),
): T | undefined {
  const n = pool.length;
  if (n === 0) return undefined;
  let start = 0;
  for (let draw = 0; draw < RANDOM_DRAWS; draw++) {
    start = random.int(n);
    const entry = pool[start] as T;
    if (!tried.has(entry) && !isBusy(entry)) return entry;
  }
  for (let i = 1; i < n; i++) {
    const entry = pool[(start + i) % n] as T;
    if (!tried.has(entry) && !isBusy(entry)) return entry;
  }
  return undefined;
}
