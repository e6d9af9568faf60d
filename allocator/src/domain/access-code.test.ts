import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessCodeSpace, generateAccessCode } from './access-code.ts';
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

describe('access codes', () => {
  it('have the asked length and never start with 0, so they survive JSON numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.integer(), (length, seed) => {
        const code = generateAccessCode(length, seeded(seed));
        expect(code).toMatch(new RegExp(`^[1-9][0-9]{${length - 1}}$`));
        expect(String(Number(code))).toBe(code);
      }),
    );
  });

  it('counts 9 × 10^(n-1) possible codes', () => {
    expect(accessCodeSpace(4)).toBe(9000);
    expect(accessCodeSpace(6)).toBe(900000);
  });
});
