import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessCodeSpace, generateAccessCode } from './access-code.ts';
import { cryptoRandom } from './random.ts';
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

  it('maps the whole range of the random source onto the codes, smallest to largest', () => {
    const lowest = { int: () => 0 };
    const highest = { int: (max: number) => max - 1 };
    expect(generateAccessCode(6, lowest)).toBe('100000');
    expect(generateAccessCode(6, highest)).toBe('999999');
    expect(generateAccessCode(12, highest)).toBe('999999999999');
  });

  it('draws 12-digit codes from the production CSPRNG (within its range limit)', () => {
    for (let i = 0; i < 100; i++) expect(generateAccessCode(12, cryptoRandom)).toMatch(/^[1-9][0-9]{11}$/);
  });

  it('counts 9 × 10^(n-1) possible codes', () => {
    expect(accessCodeSpace(4)).toBe(9000);
    expect(accessCodeSpace(6)).toBe(900000);
  });
});
