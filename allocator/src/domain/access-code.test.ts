import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessCodeSpace, generateAccessCode } from './access-code.ts';
import { seededRandom } from './seeded-random.ts';

describe('access codes', () => {
  it('have the asked length and never start with 0, so they survive JSON numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.integer(), (length, seed) => {
        const code = generateAccessCode(length, seededRandom(seed));
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
