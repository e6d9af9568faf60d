import fc from 'fast-check';
import metadata from 'libphonenumber-js/min/metadata';
import { validatePhoneNumberLength } from 'libphonenumber-js/core';
import { describe, expect, it } from 'vitest';
import { checkDnis, normalizeDnis } from './dnis-checks.ts';

describe('normalizeDnis', () => {
  it.each([
    ['18005555555', '+18005555555'],
    ['+18005555555', '+18005555555'],
    [' 18005555555 ', '+18005555555'],
  ])('turns %j into %j', (input, expected) => {
    expect(normalizeDnis(input)).toBe(expected);
  });
});

describe('checkDnis', () => {
  it.each([
    ['+18005555555', undefined],
    ['18005555555', undefined],
    ['+442071234567', undefined],
    ['+80012345678', undefined],
    ['+999123456', 'DNIS_COUNTRY_CODE'],
    ['+1800555', 'DNIS_LENGTH'],
    ['+180055555555', 'DNIS_LENGTH'],
    ['+1-800-555-5555', 'DNIS_FORMAT'],
    ['+0123456789', 'DNIS_FORMAT'],
    ['+1234567890123456', 'DNIS_FORMAT'],
    ['', 'DNIS_FORMAT'],
  ])('%j → %s', (number, rule) => {
    expect(checkDnis(number)?.rule).toBe(rule);
  });

  it('explains a wrong length with the digits it has and the digits expected', () => {
    expect(checkDnis('+1800555')?.message).toBe(
      'number "+1800555" is too short for country calling code +1 (US, AG, AI, AS, …): the part after +1 has 6 digits, numbers there have 10 digits',
    );
  });

  it('agrees with libphonenumber-js validatePhoneNumberLength on every E.164-shaped number', () => {
    const e164 = fc
      .tuple(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 14 }),
      )
      .map(([first, rest]) => `+${first}${rest.join('')}`);
    fc.assert(
      fc.property(e164, (number) => {
        expect(checkDnis(number) === undefined).toBe(
          validatePhoneNumberLength(number, metadata) === undefined,
        );
      }),
      { numRuns: 20_000 },
    );
  });
});
