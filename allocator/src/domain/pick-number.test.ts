import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickFreeNumber } from './pick-number.ts';
import { seededRandom } from './seeded-random.ts';

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
        const picked = pickFreeNumber(numbers, (i) => busy[i] === true, seededRandom(seed));
        if (busy.every(Boolean)) expect(picked).toBeUndefined();
        else expect(busy[picked as number]).toBe(false);
      }),
    );
  });
});
