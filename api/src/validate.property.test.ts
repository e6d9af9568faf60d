import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Limits, Rule } from './issues.ts';
import { validateGroupSpec } from './validate.ts';

const RULES = new Set<string>(Object.values(Rule));

/** A spec with each field either well-formed or of a wrong type, number or shape. */
// What JSON or YAML can hold (js-yaml also makes Dates); no BigInt, which neither produces.
const wild = fc.anything({ maxDepth: 3, withDate: true, withNullPrototype: true, withSparseArray: true });
const numberLike = fc.oneof(
  fc.stringMatching(/^\+?[0-9]{0,18}$/),
  fc.stringMatching(/^\+?[0-9a-zA-Z -]{0,18}$/),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  wild,
);
const spec = fc.record(
  {
    groupName: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 70 }), wild),
    dnisPool: fc.oneof(
      fc.array(
        fc.oneof(
          fc.record(
            {
              number: numberLike,
              description: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), wild),
            },
            { requiredKeys: [] },
          ),
          wild,
        ),
        { maxLength: 8 },
      ),
      wild,
    ),
    dnisPoolFrom: wild,
    accessCode: fc.oneof(
      fc.record({ generate: fc.oneof(fc.boolean(), wild), length: fc.oneof(fc.integer(), wild) }),
      wild,
    ),
    expirySeconds: fc.oneof(fc.integer({ min: -10, max: 4000 }), fc.double(), fc.string(), wild),
    uniqueDnis: fc.oneof(fc.boolean(), wild),
    surprise: wild,
  },
  { requiredKeys: [] },
);

describe('validateGroupSpec on any input', () => {
  it('never throws, and every issue has a path in the spec, a known rule and a message naming the field', () => {
    fc.assert(
      fc.property(fc.oneof(spec, wild), (input) => {
        const { errors, warnings } = validateGroupSpec(input, { otherGroupNames: new Set(['taken']) });
        for (const issue of [...errors, ...warnings]) {
          expect(issue.path).toMatch(/^spec(\.|\[|$)/);
          expect(RULES.has(issue.rule)).toBe(true);
          expect(typeof issue.message).toBe('string');
          const field = /[A-Za-z]+$/.exec(issue.path.replace(/\[\d+\]$/, ''))?.[0] ?? 'spec';
          expect(issue.message.length).toBeGreaterThan(0);
          expect(`${issue.path} ${issue.message}`).toContain(field);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every spec that keeps the rules', () => {
    const valid = fc.record({
      groupName: fc.stringMatching(/^[!-~]{1,64}$/),
      dnisPool: fc.uniqueArray(
        fc.record(
          {
            number: fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+1800${String(n).padStart(7, '0')}`),
            description: fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9 ,"]{0,30}[A-Za-z0-9])?$/),
          },
          { requiredKeys: ['number'] },
        ),
        { selector: (e) => e.number, minLength: 1, maxLength: 20 },
      ),
      accessCode: fc.record({
        generate: fc.boolean(),
        length: fc.integer({ min: Limits.accessCodeLengthMin, max: Limits.accessCodeLengthMax }),
      }),
      expirySeconds: fc.integer({ min: Limits.expirySecondsMin, max: Limits.expirySecondsMax }),
      uniqueDnis: fc.boolean(),
    });
    fc.assert(
      fc.property(valid, (s) => {
        expect(validateGroupSpec(s).errors).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
