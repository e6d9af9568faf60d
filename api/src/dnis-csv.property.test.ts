import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDnisCsv, parseDnisCsv } from './dnis-csv.ts';
import { Limits, Rule } from './issues.ts';

const RULES = new Set<string>(Object.values(Rule));

const descriptionChar = fc.oneof(
  fc.constantFrom('\n', '\r', '\r\n', '"', ',', ' ', '\t'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

/** Distinct valid numbers (US toll-free block) with descriptions of any characters, line breaks included. */
const pool = fc.uniqueArray(
  fc.record(
    {
      number: fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+1800${String(n).padStart(7, '0')}`),
      description: fc.string({ unit: descriptionChar, maxLength: Limits.descriptionMaxChars }),
    },
    { requiredKeys: ['number'] },
  ),
  { selector: (e) => e.number, maxLength: 40 },
);

/** Text that looks like a pool CSV gone wrong: CSV punctuation, digits, letters, unicode, line ends. */
const csvish = fc
  .array(
    fc.oneof(
      fc.constantFrom(',', '"', '""', '\n', '\r\n', '\r', ' ', '\t', '+', '\ufeff', 'number,description'),
      fc.stringMatching(/^\+?[0-9]{0,17}$/),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('parseDnisCsv on any input', () => {
  it('never throws, and every issue names a line of the input, a known rule and the problem', () => {
    fc.assert(
      fc.property(fc.oneof(csvish, fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        const lineCount = text.split(/\r\n|\n|\r/).length;
        const { entries, errors } = parseDnisCsv(text, { source: 'p.csv' });
        for (const e of errors) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.line).toBeLessThanOrEqual(lineCount);
          expect(e.path).toBe(`p.csv:${e.line}`);
          expect(RULES.has(e.rule)).toBe(true);
          expect(e.message).toMatch(/line \d+|p\.csv has/);
        }
        for (const entry of entries) expect(entry.number).toMatch(/^\+[1-9][0-9]{1,14}$/);
        expect(new Set(entries.map((e) => e.number)).size).toBe(entries.length);
      }),
      { numRuns: 400 },
    );
  });

  it('reads back exactly what formatDnisCsv wrote, whatever the descriptions hold', () => {
    fc.assert(
      fc.property(pool, fc.boolean(), (entries, header) => {
        const { entries: read, errors } = parseDnisCsv(formatDnisCsv(entries, { header }));
        expect(errors).toEqual([]);
        expect(read.map(({ number, description }) => ({ number, description: description ?? '' }))).toEqual(
          entries.map(({ number, description }) => ({ number, description: description ?? '' })),
        );
      }),
      { numRuns: 300 },
    );
  });
});
