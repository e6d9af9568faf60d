import { describe, expect, it } from 'vitest';
import { formatDnisCsv, parseDnisCsv, poolEntryOf, splitCsvLine } from './dnis-csv.ts';

const lines = (count: number) =>
  Array.from({ length: count }, (_, i) => `+1800${String(5_000_000 + i)},`).join('\n');

describe('parseDnisCsv', () => {
  it('reads number,description lines with a header, BOM, CRLF, blank lines and trailing spaces', () => {
    const text =
      '\ufeffnumber,description\r\n+18005555554,Claims  \r\n\r\n   \r\n18005555555 , "Renewals, ""gold"""\r\n+18005555556,\r\n';
    expect(parseDnisCsv(text)).toEqual({
      entries: [
        { number: '+18005555554', description: 'Claims', line: 2 },
        { number: '+18005555555', description: 'Renewals, "gold"', line: 5 },
        { number: '+18005555556', line: 6 },
      ],
      errors: [],
    });
  });

  it('reads a file without a header, without a final newline, and with bare CR line ends', () => {
    expect(parseDnisCsv('+18005555554,Claims\r+18005555555,Renewals').entries.map((e) => e.line)).toEqual([
      1, 2,
    ]);
  });

  it.each([
    ['a line without a comma', '+18005555554', 'CSV_COLUMNS', 'line 3 has no comma'],
    [
      'four fields',
      '+18005555554,Claims,true,extra',
      'CSV_COLUMNS',
      'line 3 has 4 fields, expected 2 or 3 (number,description,reserved)',
    ],
    [
      'a reserved column that is not true, false or empty',
      '+18005555554,Claims,extra',
      'CSV_RESERVED',
      'line 3: column 3 (reserved) is "extra"; it must be true, false or empty',
    ],
    ['an unclosed quote', '+18005555554,"Claims', 'CSV_QUOTE', 'never closed'],
    [
      'text after a closing quote',
      '+18005555554,"Claims" x',
      'CSV_QUOTE',
      'text follows a closing double quote',
    ],
    ['a quote inside an unquoted field', '+18005555554,Cl"aims', 'CSV_QUOTE', 'inside an unquoted field'],
    ['a bad number', '+1-800-555-5554,Claims', 'DNIS_FORMAT', 'not an E.164 phone number'],
    ['an unknown country code', '+999123456,Claims', 'DNIS_COUNTRY_CODE', 'country calling code'],
    [
      'a 33-character description',
      `+18005555554,${'d'.repeat(33)}`,
      'DNIS_DESCRIPTION_LENGTH',
      'is 33 characters long; at most 32',
    ],
  ])('names the line of %s', (_what, line, rule, message) => {
    const { errors } = parseDnisCsv(`number,description\n+18005555550,ok\n${line}\n`, { source: 'pool.csv' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: 'pool.csv:3', line: 3, rule });
    expect(errors[0]?.message).toContain(message);
  });

  it('reads the optional reserved column beside lines in the two-column format', () => {
    const text =
      'number,description,reserved\n+18005555554,Claims,true\n+18005555555,,TRUE\n+18005555556,Sales,false\n+18005555557,,\n+18005555558,Seed line\n';
    expect(parseDnisCsv(text).entries).toEqual([
      { number: '+18005555554', description: 'Claims', reserved: true, line: 2 },
      { number: '+18005555555', reserved: true, line: 3 },
      { number: '+18005555556', description: 'Sales', line: 4 },
      { number: '+18005555557', line: 5 },
      { number: '+18005555558', description: 'Seed line', line: 6 },
    ]);
  });

  it('names the line, the column, the value and the rule of every bad reserved value', () => {
    const { errors, entries } = parseDnisCsv(
      '+18005555554,a,yes\n+18005555555,b,true\n+18005555556,c, 1 \n',
      {
        source: 'p.csv',
      },
    );
    expect(errors).toEqual([
      {
        path: 'p.csv:1',
        line: 1,
        rule: 'CSV_RESERVED',
        value: 'yes',
        message: 'line 1: column 3 (reserved) is "yes"; it must be true, false or empty',
      },
      {
        path: 'p.csv:3',
        line: 3,
        rule: 'CSV_RESERVED',
        value: '1',
        message: 'line 3: column 3 (reserved) is "1"; it must be true, false or empty',
      },
    ]);
    expect(entries.map((e) => e.number)).toEqual(['+18005555555']);
  });

  it('accepts a 32-character description and a 16-character number', () => {
    expect(parseDnisCsv(`+491234567890123,${'d'.repeat(32)}`).errors).toEqual([]);
  });

  it('names both lines of a duplicate, comparing normalised numbers', () => {
    const { errors } = parseDnisCsv('+18005555554,a\n+18005555555,b\n18005555554,c\n', { source: 'p.csv' });
    expect(errors).toEqual([
      {
        path: 'p.csv:3',
        line: 3,
        rule: 'DNIS_DUPLICATE',
        value: '18005555554',
        message:
          'line 3: number "18005555554" is already on line 1 (as "+18005555554"); each number may appear once',
      },
    ]);
  });

  it('reports every bad line, not just the first', () => {
    expect(parseDnisCsv('x,\ny,\n+18005555555,\nz\n').errors.map((e) => e.line)).toEqual([1, 2, 4]);
  });

  it('accepts 10,000 numbers and refuses 10,001, saying how many there are', () => {
    expect(parseDnisCsv(lines(10_000)).errors).toEqual([]);
    const { errors } = parseDnisCsv(lines(10_001), { source: 'big.csv' });
    expect(errors).toEqual([
      {
        path: 'big.csv:10001',
        line: 10_001,
        rule: 'DNIS_POOL_SIZE',
        value: 10_001,
        message:
          'big.csv has 10,001 numbers, 1 more than the 10,000 a group can hold; the first one over the limit is on line 10001',
      },
    ]);
  });

  it('counts the header line in line numbers', () => {
    expect(parseDnisCsv('number,description\nbad,\n').errors[0]?.line).toBe(2);
  });
});

describe('splitCsvLine', () => {
  it.each([
    ['a,b', ['a', 'b']],
    ['a,', ['a', '']],
    [' a , b ', ['a', 'b']],
    ['a,"b, c"', ['a', 'b, c']],
    ['a,"say ""hi"""', ['a', 'say "hi"']],
    ['a,""', ['a', '']],
  ])('%j → %j', (line, fields) => {
    expect(splitCsvLine(line)).toEqual(fields);
  });
});

describe('formatDnisCsv', () => {
  it('quotes descriptions that need it, and parses back to the same pool', () => {
    const pool = [
      { number: '+18005555554', description: 'Claims' },
      { number: '+18005555555', description: 'Renewals, "gold"' },
      { number: '+18005555556' },
      { number: '+18005555557', description: ' padded ' },
    ];
    const text = formatDnisCsv(pool);
    expect(text).toBe(
      '+18005555554,Claims\n+18005555555,"Renewals, ""gold"""\n+18005555556,\n+18005555557," padded "\n',
    );
    expect(parseDnisCsv(text).entries.map(({ line: _line, ...e }) => e)).toEqual(pool);
  });

  it('writes a reserved column only when a number is reserved, and parses back to the same pool', () => {
    const pool = [
      { number: '+18005555554', description: 'VIP, gold', reserved: true as const },
      { number: '+18005555555' },
      { number: '+18005555556', reserved: true as const },
    ];
    const text = formatDnisCsv(pool, { header: true });
    expect(text).toBe(
      'number,description,reserved\n+18005555554,"VIP, gold",true\n+18005555555,,\n+18005555556,,true\n',
    );
    expect(parseDnisCsv(text).entries.map(poolEntryOf)).toEqual(pool);
    expect(formatDnisCsv([{ number: '+18005555555', reserved: false }], { header: true })).toBe(
      'number,description\n+18005555555,\n',
    );
  });
});
