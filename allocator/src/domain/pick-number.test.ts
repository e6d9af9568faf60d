import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickFreeNumber } from './pick-number.ts';
import type { RandomSource } from './random.ts';

/** A seeded generator (mulberry32), so tests are repeatable. */
function seeded(seed: number): RandomSource {
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

describe('pickFreeNumber', () => {
  const pool = ['a', 'b', 'c', 'd'];

  it('starts at the index the random source gives and wraps around', () => {
    expect(pickFreeNumber(pool, () => false, { int: () => 2 })).toBe('c');
    expect(pickFreeNumber(pool, (e) => e === 'c' || e === 'd', { int: () => 2 })).toBe('a');
  });

  it('skips numbers already tried', () => {
    expect(pickFreeNumber(pool, () => false, { int: () => 0 }, new Set(['a', 'b']))).toBe('c');
  });

  it('returns undefined when every number is busy or tried, or the pool is empty', () => {
    expect(pickFreeNumber(pool, (e) => e !== 'b', { int: () => 0 }, new Set(['b']))).toBeUndefined();
    expect(pickFreeNumber([], () => false, { int: () => 0 })).toBeUndefined();
  });

  it('always returns a free number when one exists', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }), fc.integer(), (busy, seed) => {
        const numbers = busy.map((_, i) => i);
        const picked = pickFreeNumber(numbers, (i) => busy[i] === true, seeded(seed));
        if (busy.every(Boolean)) expect(picked).toBeUndefined();
        else expect(busy[picked as number]).toBe(false);
      }),
    );
  });
});
