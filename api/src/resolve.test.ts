import { describe, expect, it } from 'vitest';
import { resolveGroup } from './resolve.ts';

const fromCsv = { dnisPoolFrom: { configMapKeyRef: { name: 'pool', key: 'pool.csv' } } };

describe('resolveGroup', () => {
  it('applies the defaults and normalises numbers', () => {
    const { group, errors } = resolveGroup(
      { dnisPool: [{ number: '18005555554', description: 'Claims' }] },
      { metadataName: 'auto-insurance' },
    );
    expect(errors).toEqual([]);
    expect(group).toEqual({
      groupName: 'auto-insurance',
      accessCode: { generate: true, length: 6 },
      expirySeconds: 30,
      uniqueDnis: false,
      coolDownSeconds: 0,
      selection: { strategy: 'random', stickySeconds: 0 },
      dnisPool: [{ number: '+18005555554', description: 'Claims' }],
    });
  });

  it('keeps the settings it is given', () => {
    const { group } = resolveGroup(
      {
        groupName: 'auto_insurance',
        dnisPool: [{ number: '+18005555554' }],
        accessCode: { generate: false, length: 8 },
        expirySeconds: 90,
        uniqueDnis: true,
        coolDownSeconds: 15,
        selection: { strategy: 'leastRecentlyUsed', stickySeconds: 600 },
      },
      { metadataName: 'x' },
    );
    expect(group).toMatchObject({
      groupName: 'auto_insurance',
      accessCode: { generate: false, length: 8 },
      expirySeconds: 90,
      uniqueDnis: true,
      coolDownSeconds: 15,
      selection: { strategy: 'leastRecentlyUsed', stickySeconds: 600 },
    });
  });

  it('fills in the selection settings left out, and refuses a cool-down out of range', () => {
    const pool = [{ number: '+18005555554' }];
    const resolved = (selection: unknown) =>
      resolveGroup({ dnisPool: pool, selection }, { metadataName: 'g' }).group?.selection;
    expect(resolved({ strategy: 'roundRobin' })).toEqual({ strategy: 'roundRobin', stickySeconds: 0 });
    expect(resolved({ stickySeconds: 30 })).toEqual({ strategy: 'random', stickySeconds: 30 });
    expect(resolved({})).toEqual({ strategy: 'random', stickySeconds: 0 });
    const tooLong = resolveGroup({ dnisPool: pool, coolDownSeconds: 3601 }, { metadataName: 'g' });
    expect(tooLong.group).toBeUndefined();
    expect(tooLong.errors.map((e) => e.rule)).toEqual(['COOL_DOWN_RANGE']);
  });

  it('merges dnisPool and the CSV pool', () => {
    const { group, errors } = resolveGroup(
      { dnisPool: [{ number: '+18005555554' }], ...fromCsv },
      {
        metadataName: 'g',
        csvPool: { text: 'number,description\n+18005555555,Renewals\n', source: 'pool/pool.csv' },
      },
    );
    expect(errors).toEqual([]);
    expect(group?.dnisPool).toEqual([
      { number: '+18005555554' },
      { number: '+18005555555', description: 'Renewals' },
    ]);
  });

  it('names both places of a number that is in dnisPool and in the CSV', () => {
    const { group, errors } = resolveGroup(
      { dnisPool: [{ number: '+18005555554' }], ...fromCsv },
      { metadataName: 'g', csvPool: { text: '+18005555555,\n18005555554,\n', source: 'pool/pool.csv' } },
    );
    expect(group).toBeUndefined();
    expect(errors).toEqual([
      {
        path: 'pool/pool.csv:2',
        line: 2,
        rule: 'DNIS_DUPLICATE',
        value: '+18005555554',
        message:
          'line 2: number "+18005555554" is also in spec.dnisPool[0]; each number may appear once in the group',
      },
    ]);
  });

  it('refuses more than 10,000 numbers across both sources', () => {
    const inline = Array.from({ length: 6_000 }, (_, i) => ({ number: `+1800${5_000_000 + i}` }));
    const csv = Array.from({ length: 4_001 }, (_, i) => `+1888${5_000_000 + i},`).join('\n');
    const { errors } = resolveGroup(
      { dnisPool: inline, ...fromCsv },
      { metadataName: 'g', csvPool: { text: csv, source: 'pool.csv' } },
    );
    expect(errors.map((e) => e.message)).toEqual([
      'the group has 10,001 numbers (6,000 in spec.dnisPool, 4,001 in pool.csv); a group holds at most 10,000',
    ]);
  });

  it('refuses a dnisPoolFrom whose CSV was not provided, and an empty pool', () => {
    expect(resolveGroup(fromCsv, { metadataName: 'g' }).errors.map((e) => e.rule)).toEqual([
      'DNIS_POOL_FROM',
    ]);
    expect(
      resolveGroup(fromCsv, {
        metadataName: 'g',
        csvPool: { text: 'number,description\n', source: 'p.csv' },
      }).errors.map((e) => e.rule),
    ).toEqual(['DNIS_POOL_SIZE']);
  });

  it('returns no group when the spec has errors', () => {
    const result = resolveGroup(
      { dnisPool: [{ number: '+18005555554' }], expirySeconds: 5 },
      { metadataName: 'g' },
    );
    expect(result.group).toBeUndefined();
    expect(result.errors.map((e) => e.rule)).toEqual(['EXPIRY_RANGE']);
  });

  it('keeps reserved numbers, inline and from the CSV, and warns when the CSV leaves none to hand out', () => {
    const result = resolveGroup(
      {
        ...fromCsv,
        dnisPool: [
          { number: '+18005555550', reserved: true },
          { number: '+18005555551', reserved: false },
        ],
      },
      {
        metadataName: 'g',
        csvPool: { text: '+18005555554,VIP,true\n+18005555555,,\n', source: 'pool/pool.csv' },
      },
    );
    expect(result.group?.dnisPool).toEqual([
      { number: '+18005555550', reserved: true },
      { number: '+18005555551' },
      { number: '+18005555554', description: 'VIP', reserved: true },
      { number: '+18005555555' },
    ]);
    expect(result.warnings).toEqual([]);
    const allReserved = resolveGroup(fromCsv, {
      metadataName: 'g',
      csvPool: { text: '+18005555554,,true\n+18005555555,,true\n', source: 'pool/pool.csv' },
    });
    expect(allReserved.warnings.map((w) => `${w.path} ${w.rule}`)).toEqual(['spec ALL_NUMBERS_RESERVED']);
    const badCsv = resolveGroup(fromCsv, {
      metadataName: 'g',
      csvPool: { text: 'number,description,reserved\n+18005555554,,maybe\n', source: 'pool/pool.csv' },
    });
    expect(badCsv.errors.map((e) => `${e.path} ${e.rule}`)).toEqual(['pool/pool.csv:2 CSV_RESERVED']);
  });

  it('resolves localPresence with its default level, and warns about a one-country CSV pool when required', () => {
    const csvPool = { text: '+14155550100,\n+12125550100,\n', source: 'pool/pool.csv' };
    const prefer = resolveGroup(
      { ...fromCsv, localPresence: { match: 'prefer' } },
      { metadataName: 'g', csvPool },
    );
    expect(prefer.group?.localPresence).toEqual({ match: 'prefer', level: 'area' });
    expect(prefer.warnings).toEqual([]);
    const require = resolveGroup(
      { ...fromCsv, localPresence: { match: 'require', level: 'country' } },
      { metadataName: 'g', csvPool },
    );
    expect(require.group?.localPresence).toEqual({ match: 'require', level: 'country' });
    expect(require.warnings.map((w) => `${w.path} ${w.rule} ${String(w.value)}`)).toEqual([
      'spec.localPresence.match LOCAL_PRESENCE_ONE_COUNTRY US',
    ]);
    expect(
      resolveGroup({ dnisPool: [{ number: '+14155550100' }] }, { metadataName: 'g' }).group,
    ).not.toHaveProperty('localPresence');
  });

  it('warns once, in the same words, about a long cool-down on a small unique pool inline or from a CSV', () => {
    const settings = { uniqueDnis: true, expirySeconds: 30, coolDownSeconds: 100 };
    const coolDown = (result: ReturnType<typeof resolveGroup>) =>
      result.warnings.filter((w) => w.rule === 'COOL_DOWN_LONG').map((w) => `${w.path}: ${w.message}`);
    const inline = resolveGroup(
      { dnisPool: [{ number: '+18005555554' }, { number: '+18005555555', reserved: true }], ...settings },
      { metadataName: 'g' },
    );
    const csv = resolveGroup(
      { ...fromCsv, ...settings },
      {
        metadataName: 'g',
        csvPool: { text: '+18005555554,\n+18005555555,,true\n', source: 'pool/pool.csv' },
      },
    );
    expect(coolDown(inline)).toEqual([
      'spec.coolDownSeconds: coolDownSeconds is 100, longer than expirySeconds (30), and uniqueDnis is true with only 1 number not reserved (and 1 reserved): each number then serves at most one request per 100 s plus the time to its call, so the pool sustains at most about 0.01 requests per second even when every call is matched at once, and further requests fail with POOL_EXHAUSTED; shorten coolDownSeconds or add numbers',
    ]);
    expect(coolDown(csv)).toEqual(coolDown(inline));
    // Inline numbers and the CSV count together.
    const inlinePart = Array.from({ length: 60 }, (_, i) => ({ number: `+1800${5_000_000 + i}` }));
    const csvPart = Array.from({ length: 40 }, (_, i) => `+1888${5_000_000 + i},`).join('\n');
    const both = resolveGroup(
      { ...fromCsv, dnisPool: inlinePart, ...settings },
      { metadataName: 'g', csvPool: { text: csvPart, source: 'pool/pool.csv' } },
    );
    expect(coolDown(both)).toEqual([]);
  });

  it('warns once about a sticky window inside the cool-down, with a CSV pool too', () => {
    const result = resolveGroup(
      { ...fromCsv, uniqueDnis: true, coolDownSeconds: 30, selection: { stickySeconds: 30 } },
      { metadataName: 'g', csvPool: { text: '+18005555554,\n', source: 'pool/pool.csv' } },
    );
    expect(result.warnings.map((w) => `${w.path} ${w.rule}`)).toEqual([
      'spec.selection.stickySeconds STICKY_WITHIN_COOL_DOWN',
      'spec SMALL_UNIQUE_POOL',
    ]);
    expect(result.group?.selection).toEqual({ strategy: 'random', stickySeconds: 30 });
  });

  it('warns once, in the same words, about a small unique pool inline or from a CSV', () => {
    const small = (result: ReturnType<typeof resolveGroup>) =>
      result.warnings.filter((w) => w.rule === 'SMALL_UNIQUE_POOL').map((w) => w.message);
    const inline = resolveGroup(
      { dnisPool: [{ number: '+18005555554' }, { number: '+18005555555' }], uniqueDnis: true },
      { metadataName: 'g' },
    );
    const csv = resolveGroup(
      { ...fromCsv, uniqueDnis: true },
      { metadataName: 'g', csvPool: { text: '+18005555554,\n+18005555555,\n', source: 'pool/pool.csv' } },
    );
    expect(small(inline)).toHaveLength(1);
    expect(small(csv)).toEqual(small(inline));
  });
});
