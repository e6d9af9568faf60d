import { describe, expect, it } from 'vitest';
import { validateGroupSpec } from './validate.ts';
import { SELECTION_STRATEGIES } from './issues.ts';
import schema from '../schema/group.v1alpha1.schema.json' with { type: 'json' };

const numbers = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ number: `+1800${String(5_000_000 + i)}` }));
const base = { dnisPool: [{ number: '+18005555554', description: 'Claims' }] };
const fromCsv = { dnisPoolFrom: { configMapKeyRef: { name: 'pool', key: 'pool.csv' } } };
const errorsOf = (spec: unknown, options = {}) => validateGroupSpec(spec, options).errors;
const rulesOf = (spec: unknown, options = {}) => errorsOf(spec, options).map((e) => `${e.path} ${e.rule}`);

describe('validateGroupSpec boundaries', () => {
  it.each([
    ['access-code length 3', { accessCode: { length: 3 } }, ['spec.accessCode.length ACCESS_CODE_LENGTH']],
    ['access-code length 4', { accessCode: { length: 4 } }, []],
    ['access-code length 12', { accessCode: { length: 12 } }, []],
    ['access-code length 13', { accessCode: { length: 13 } }, ['spec.accessCode.length ACCESS_CODE_LENGTH']],
    ['expiry 9', { expirySeconds: 9 }, ['spec.expirySeconds EXPIRY_RANGE']],
    ['expiry 10', { expirySeconds: 10 }, []],
    ['expiry 1800', { expirySeconds: 1800 }, []],
    ['expiry 1801', { expirySeconds: 1801 }, ['spec.expirySeconds EXPIRY_RANGE']],
    ['cool-down -1', { coolDownSeconds: -1 }, ['spec.coolDownSeconds COOL_DOWN_RANGE']],
    ['cool-down 0', { coolDownSeconds: 0 }, []],
    ['cool-down 3600', { coolDownSeconds: 3600 }, []],
    ['cool-down 3601', { coolDownSeconds: 3601 }, ['spec.coolDownSeconds COOL_DOWN_RANGE']],
    ['sticky -1', { selection: { stickySeconds: -1 } }, ['spec.selection.stickySeconds SELECTION']],
    ['sticky 0', { selection: { stickySeconds: 0 } }, []],
    ['sticky 86400', { selection: { stickySeconds: 86_400 } }, []],
    ['sticky 86401', { selection: { stickySeconds: 86_401 } }, ['spec.selection.stickySeconds SELECTION']],
    ['strategy random', { selection: { strategy: 'random' } }, []],
    ['strategy leastRecentlyUsed', { selection: { strategy: 'leastRecentlyUsed' } }, []],
    ['strategy roundRobin', { selection: { strategy: 'roundRobin' } }, []],
    ['an empty selection', { selection: {} }, []],
    ['10,000 numbers', { dnisPool: numbers(10_000) }, []],
    ['10,001 numbers', { dnisPool: numbers(10_001) }, ['spec.dnisPool DNIS_POOL_SIZE']],
    ['0 numbers', { dnisPool: [] }, ['spec.dnisPool DNIS_POOL_SIZE']],
    ['a 16-character number', { dnisPool: [{ number: '+491234567890123' }] }, []],
    [
      'a 17-character number',
      { dnisPool: [{ number: '+4912345678901234' }] },
      ['spec.dnisPool[0].number DNIS_FORMAT'],
    ],
    [
      'a 32-character description',
      { dnisPool: [{ number: '+18005555555', description: 'd'.repeat(32) }] },
      [],
    ],
    [
      'a 33-character description',
      { dnisPool: [{ number: '+18005555555', description: 'd'.repeat(33) }] },
      ['spec.dnisPool[0].description DNIS_DESCRIPTION_LENGTH'],
    ],
    [
      'a 32-character description of emoji',
      { dnisPool: [{ number: '+18005555555', description: '📞'.repeat(32) }] },
      [],
    ],
  ])('%s', (_what, spec, expected) => {
    expect(rulesOf({ ...base, ...spec })).toEqual(expected);
  });
});

describe('validateGroupSpec rules', () => {
  it('names the path, the value and the rule of every error at once', () => {
    const errors = errorsOf({
      dnisPool: [
        { number: '+18005555554' },
        { number: 18005555555 },
        { number: '+999123456' },
        { number: '18005555554', description: 'x'.repeat(40) },
      ],
      accessCode: { length: 20 },
      expirySeconds: 5,
    });
    expect(errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'spec.dnisPool[1].number: number must be text, but is the number 18005555555; put it in quotes, e.g. "18005555555"',
      'spec.dnisPool[3].description: description "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" is 40 characters long; at most 32 are allowed',
      'spec.accessCode.length: accessCode.length is 20; it must be from 4 to 12 digits',
      'spec.expirySeconds: expirySeconds is 5; it must be from 10 to 1800 seconds',
      'spec.dnisPool[2].number: number "+999123456" does not start with a country calling code in use (for example 1 for the US and Canada, 44 for the UK); write the number in international form',
      'spec.dnisPool[3].number: number "18005555554" is already in the pool at spec.dnisPool[0] (as "+18005555554"); each number may appear once',
    ]);
  });

  it('names the entry, the value and the rule of a reserved flag that is not true or false', () => {
    const errors = errorsOf({
      dnisPool: [
        { number: '+18005555554', reserved: 'yes' },
        { number: '+18005555555', reservd: true },
      ],
    });
    expect(errors.map((e) => `${e.path} ${e.rule}: ${e.message}`)).toEqual([
      'spec.dnisPool[0].reserved SCHEMA_TYPE: reserved must be true or false, but is the text "yes"',
      'spec.dnisPool[1].reservd UNKNOWN_FIELD: "reservd" is not a field here; did you mean "reserved"? (known fields: number, description, reserved)',
    ]);
  });

  it('names the field, the value and the allowed values of a bad localPresence', () => {
    const issues = (localPresence: unknown) =>
      errorsOf({ ...base, localPresence }).map((e) => `${e.path} ${e.rule}: ${e.message}`);
    expect(issues({ match: 'always', level: 'city' })).toEqual([
      'spec.localPresence.match LOCAL_PRESENCE: localPresence.match is "always"; it must be prefer or require',
      'spec.localPresence.level LOCAL_PRESENCE: localPresence.level is "city"; it must be area or country',
    ]);
    expect(issues({ level: 'area' })).toEqual([
      'spec.localPresence.match SCHEMA_REQUIRED: match is required but missing',
    ]);
    expect(issues({ match: 'prefer', levle: 'area' })).toEqual([
      'spec.localPresence.levle UNKNOWN_FIELD: "levle" is not a field here; did you mean "level"? (known fields: match, level)',
    ]);
    expect(issues('prefer')).toEqual([
      'spec.localPresence SCHEMA_TYPE: localPresence must be a mapping of fields, but is the text "prefer"',
    ]);
    expect(issues({ match: 'require' })).toEqual([]);
    expect(rulesOf({ ...base, localPrescence: { match: 'prefer' } })).toEqual([
      'spec.localPrescence UNKNOWN_FIELD',
    ]);
  });

  it('names the field, the value and the allowed range or values of a bad coolDownSeconds or selection', () => {
    const issues = (spec: Record<string, unknown>) =>
      errorsOf({ ...base, ...spec }).map((e) => `${e.path} ${e.rule} ${String(e.value)}: ${e.message}`);
    expect(issues({ coolDownSeconds: 3601 })).toEqual([
      'spec.coolDownSeconds COOL_DOWN_RANGE 3601: coolDownSeconds is 3601; it must be from 0 to 3600 seconds (0 turns the cool-down off)',
    ]);
    expect(issues({ coolDownSeconds: -5 })).toEqual([
      'spec.coolDownSeconds COOL_DOWN_RANGE -5: coolDownSeconds is -5; it must be from 0 to 3600 seconds (0 turns the cool-down off)',
    ]);
    expect(issues({ selection: { strategy: 'fastest', stickySeconds: 90_000 } })).toEqual([
      'spec.selection.strategy SELECTION fastest: selection.strategy is "fastest"; it must be random, leastRecentlyUsed or roundRobin',
      'spec.selection.stickySeconds SELECTION 90000: selection.stickySeconds is 90000; it must be from 0 to 86400 seconds (0 turns stickiness off)',
    ]);
    expect(issues({ selection: { strategy: 'roundRobin', stickySeconds: -1 } })).toEqual([
      'spec.selection.stickySeconds SELECTION -1: selection.stickySeconds is -1; it must be from 0 to 86400 seconds (0 turns stickiness off)',
    ]);
    // Wrong types and misspelt fields keep their own rules, as everywhere in the spec.
    expect(issues({ coolDownSeconds: '60' })).toEqual([
      'spec.coolDownSeconds SCHEMA_TYPE 60: coolDownSeconds must be a whole number, but is the text "60"',
    ]);
    expect(issues({ selection: 'random' })).toEqual([
      'spec.selection SCHEMA_TYPE random: selection must be a mapping of fields, but is the text "random"',
    ]);
    expect(issues({ selection: { stategy: 'random' } })).toEqual([
      'spec.selection.stategy UNKNOWN_FIELD stategy: "stategy" is not a field here; did you mean "strategy"? (known fields: strategy, stickySeconds)',
    ]);
    expect(rulesOf({ ...base, coolDownSecond: 60 })).toEqual(['spec.coolDownSecond UNKNOWN_FIELD']);
    expect(errorsOf({ ...base, coolDownSecond: 60 })[0]?.message).toContain(
      'did you mean "coolDownSeconds"?',
    );
  });

  it('knows the strategies the schema allows', () => {
    expect([...SELECTION_STRATEGIES]).toEqual(
      schema.properties.spec.properties.selection.properties.strategy.enum,
    );
  });

  it('warns when a cool-down longer than the expiry caps a small unique pool, naming the rate', () => {
    const coolDown = (spec: Record<string, unknown>) =>
      validateGroupSpec(spec).warnings.filter((w) => w.rule === 'COOL_DOWN_LONG');
    expect(
      coolDown({ dnisPool: numbers(20), uniqueDnis: true, expirySeconds: 30, coolDownSeconds: 100 }),
    ).toEqual([
      {
        path: 'spec.coolDownSeconds',
        rule: 'COOL_DOWN_LONG',
        value: 100,
        message:
          'coolDownSeconds is 100, longer than expirySeconds (30), and uniqueDnis is true with only 20 numbers: each number then serves at most one request per 100 s plus the time to its call, so the pool sustains at most about 0.2 requests per second even when every call is matched at once, and further requests fail with POOL_EXHAUSTED; shorten coolDownSeconds or add numbers',
      },
    ]);
    // The default expiry is 30 s; reserved numbers are never handed out automatically, so they do not count.
    const withReserved = numbers(120).map((e, i) => (i < 30 ? { ...e, reserved: true } : e));
    expect(coolDown({ dnisPool: withReserved, uniqueDnis: true, coolDownSeconds: 31 })[0]?.message).toContain(
      'with only 90 numbers not reserved (and 30 reserved): each number then serves at most one request per 31 s plus the time to its call, so the pool sustains at most about 2.9 requests per second',
    );
    expect(coolDown({ dnisPool: numbers(1), uniqueDnis: true, coolDownSeconds: 3600 })[0]?.message).toContain(
      'with only 1 number: each number then serves at most one request per 3600 s plus the time to its call, so the pool sustains at most about 0.00028 requests per second',
    );
    expect(coolDown({ dnisPool: numbers(99), uniqueDnis: true, coolDownSeconds: 31 })).toHaveLength(1);
    // Not: 100 numbers, a cool-down no longer than the expiry, shared numbers, or no cool-down.
    expect(coolDown({ dnisPool: numbers(100), uniqueDnis: true, coolDownSeconds: 31 })).toEqual([]);
    expect(coolDown({ dnisPool: numbers(20), uniqueDnis: true, coolDownSeconds: 30 })).toEqual([]);
    expect(
      coolDown({ dnisPool: numbers(20), uniqueDnis: true, expirySeconds: 600, coolDownSeconds: 300 }),
    ).toEqual([]);
    expect(coolDown({ dnisPool: numbers(20), uniqueDnis: false, coolDownSeconds: 100 })).toEqual([]);
    expect(coolDown({ dnisPool: numbers(20), uniqueDnis: true })).toEqual([]);
    // Nor when every number is reserved (ALL_NUMBERS_RESERVED says so), or the values are errors already.
    const allReserved = numbers(3).map((e) => ({ ...e, reserved: true }));
    expect(coolDown({ dnisPool: allReserved, uniqueDnis: true, coolDownSeconds: 100 })).toEqual([]);
    expect(coolDown({ dnisPool: numbers(20), uniqueDnis: true, coolDownSeconds: 4000 })).toEqual([]);
    // With dnisPoolFrom the pool is known only once the CSV is read: resolveGroup warns then.
    expect(coolDown({ ...fromCsv, uniqueDnis: true, coolDownSeconds: 100 })).toEqual([]);
  });

  it('warns when a sticky window is no longer than the cool-down of a unique pool', () => {
    const sticky = (spec: Record<string, unknown>) =>
      validateGroupSpec({ dnisPool: numbers(200), ...spec }).warnings.filter(
        (w) => w.rule === 'STICKY_WITHIN_COOL_DOWN',
      );
    expect(sticky({ uniqueDnis: true, coolDownSeconds: 60, selection: { stickySeconds: 60 } })).toEqual([
      {
        path: 'spec.selection.stickySeconds',
        rule: 'STICKY_WITHIN_COOL_DOWN',
        value: 60,
        message:
          "selection.stickySeconds is 60, not more than coolDownSeconds (60), and uniqueDnis is true: a caller's last number rests for 60 s after their request ends, which covers the whole sticky window, so stickiness can never hand it back to them; set stickySeconds greater than coolDownSeconds",
      },
    ]);
    expect(sticky({ uniqueDnis: true, coolDownSeconds: 60, selection: { stickySeconds: 1 } })).toHaveLength(
      1,
    );
    // It needs no pool, so it is reported with a pool from a CSV too.
    expect(
      validateGroupSpec({
        ...fromCsv,
        uniqueDnis: true,
        coolDownSeconds: 60,
        selection: { strategy: 'leastRecentlyUsed', stickySeconds: 30 },
      }).warnings.map((w) => w.rule),
    ).toEqual(['STICKY_WITHIN_COOL_DOWN']);
    // Not: a window longer than the cool-down, stickiness off, no cool-down, or shared numbers.
    expect(sticky({ uniqueDnis: true, coolDownSeconds: 60, selection: { stickySeconds: 61 } })).toEqual([]);
    expect(sticky({ uniqueDnis: true, coolDownSeconds: 60, selection: { stickySeconds: 0 } })).toEqual([]);
    expect(sticky({ uniqueDnis: true, coolDownSeconds: 60 })).toEqual([]);
    expect(sticky({ uniqueDnis: true, selection: { stickySeconds: 60 } })).toEqual([]);
    expect(sticky({ uniqueDnis: false, coolDownSeconds: 60, selection: { stickySeconds: 60 } })).toEqual([]);
    expect(sticky({ uniqueDnis: true, coolDownSeconds: 60, selection: { stickySeconds: 90_000 } })).toEqual(
      [],
    );
  });

  it('warns when a required local presence has numbers in one country only, naming it', () => {
    const us = [{ number: '+14155550100' }, { number: '+12125550100' }];
    const warnings = (spec: Record<string, unknown>) =>
      validateGroupSpec(spec).warnings.filter((w) => w.rule === 'LOCAL_PRESENCE_ONE_COUNTRY');
    expect(warnings({ dnisPool: us, localPresence: { match: 'require' } })).toEqual([
      {
        path: 'spec.localPresence.match',
        rule: 'LOCAL_PRESENCE_ONE_COUNTRY',
        value: 'US',
        message:
          "localPresence.match is require, and every number of the pool that is not reserved is in US: callers from any other country always get NO_LOCAL_NUMBER; use match: prefer, or add numbers in the callers' countries",
      },
    ]);
    const withGb = [...us, { number: '+442079460100' }];
    expect(warnings({ dnisPool: withGb, localPresence: { match: 'require', level: 'country' } })).toEqual([]);
    expect(warnings({ dnisPool: us, localPresence: { match: 'prefer' } })).toEqual([]);
    // A reserved number is never handed out automatically, so it does not count.
    const gbReserved = [...us, { number: '+442079460100', reserved: true }];
    expect(warnings({ dnisPool: gbReserved, localPresence: { match: 'require' } })).toHaveLength(1);
    expect(
      warnings({ dnisPool: [{ number: '+8001234567' }], localPresence: { match: 'require' } })[0]?.message,
    ).toContain('only non-geographic numbers');
  });

  it('says how many numbers are not reserved when a unique pool leaves few of them', () => {
    const pool = numbers(12).map((e, i) => (i < 5 ? { ...e, reserved: true } : e));
    expect(validateGroupSpec({ dnisPool: pool, uniqueDnis: true }).warnings).toEqual([
      {
        path: 'spec.dnisPool',
        rule: 'SMALL_UNIQUE_POOL',
        value: 7,
        message:
          'uniqueDnis is true with only 7 numbers not reserved (and 5 reserved): at most 7 call-in requests can be live at once without asking for a number, and further requests fail until one expires',
      },
    ]);
    expect(validateGroupSpec({ dnisPool: pool.map((e) => ({ ...e, reserved: true })) }).warnings).toEqual([
      {
        path: 'spec.dnisPool',
        rule: 'ALL_NUMBERS_RESERVED',
        value: 12,
        message:
          'every number of the pool (12) is reserved: a call-in request that does not ask for a number always fails with POOL_EXHAUSTED; mark some numbers reserved: false',
      },
    ]);
  });

  it('treats 18005555555 and +18005555555 as the same number', () => {
    expect(rulesOf({ dnisPool: [{ number: '18005555555' }, { number: '+18005555555' }] })).toEqual([
      'spec.dnisPool[1].number DNIS_DUPLICATE',
    ]);
  });

  it('suggests the right name for a misspelt field', () => {
    const [error] = errorsOf({ ...base, uniqueDNIS: true });
    expect(error).toMatchObject({ path: 'spec.uniqueDNIS', rule: 'UNKNOWN_FIELD' });
    expect(error?.message).toContain('did you mean "uniqueDnis"?');
  });

  it('requires a pool from dnisPool or dnisPoolFrom', () => {
    expect(rulesOf({})).toEqual(['spec.dnisPool DNIS_POOL_SIZE']);
    expect(rulesOf({ dnisPoolFrom: { configMapKeyRef: { name: 'pool', key: 'pool.csv' } } })).toEqual([]);
    expect(rulesOf({ dnisPoolFrom: { configMapKeyRef: { name: 'Bad_Name', key: 'pool.csv' } } })).toEqual([
      'spec.dnisPoolFrom.configMapKeyRef.name DNIS_POOL_FROM',
    ]);
  });

  it('refuses a spec that is not a mapping', () => {
    expect(rulesOf('nope')).toEqual(['spec SCHEMA_TYPE']);
    expect(rulesOf(null)).toEqual(['spec SCHEMA_TYPE']);
  });

  it.each([
    ['groupName with a space', { groupName: 'auto insurance' }, 'GROUP_NAME_FORMAT'],
    ['empty groupName', { groupName: '' }, 'GROUP_NAME_FORMAT'],
  ])('refuses %s', (_what, spec, rule) => {
    expect(errorsOf({ ...base, ...spec }).map((e) => e.rule)).toEqual([rule]);
  });

  it('refuses a group name another group uses, defaulting to metadata.name', () => {
    const otherGroupNames = new Set(['auto_insurance', 'home']);
    expect(rulesOf({ ...base, groupName: 'auto_insurance' }, { otherGroupNames })).toEqual([
      'spec.groupName GROUP_NAME_TAKEN',
    ]);
    expect(rulesOf(base, { otherGroupNames, metadataName: 'home' })).toEqual([
      'spec.groupName GROUP_NAME_TAKEN',
    ]);
    expect(rulesOf({ ...base, groupName: 'life' }, { otherGroupNames })).toEqual([]);
  });

  it('refuses a changed group name on update', () => {
    const previousSpec = { ...base, groupName: 'before' };
    expect(rulesOf({ ...base, groupName: 'after' }, { previousSpec })).toEqual([
      'spec.groupName GROUP_NAME_IMMUTABLE',
    ]);
    expect(rulesOf({ ...base, groupName: 'before' }, { previousSpec })).toEqual([]);
    expect(rulesOf({ ...base, groupName: 'web' }, { previousSpec: base, metadataName: 'web' })).toEqual([]);
  });

  it('re-checks only the numbers that changed since previousSpec, but still finds duplicates', () => {
    const previousSpec = { dnisPool: [{ number: '+1800555' }] }; // admitted before the rule existed
    expect(rulesOf({ dnisPool: [{ number: '+1800555' }, { number: '+1800556' }] }, { previousSpec })).toEqual(
      ['spec.dnisPool[1].number DNIS_LENGTH'],
    );
    expect(rulesOf({ dnisPool: [{ number: '+1800555' }, { number: '1800555' }] }, { previousSpec })).toEqual([
      'spec.dnisPool[1].number DNIS_LENGTH',
    ]);
  });
});

describe('validateGroupSpec warnings', () => {
  const warningsOf = (spec: unknown) => validateGroupSpec(spec).warnings.map((w) => w.rule);

  it.each([
    [
      'access codes off without unique DNIS',
      { ...base, accessCode: { generate: false } },
      ['CALLER_ID_ONLY_MATCHING'],
    ],
    ['unique DNIS with 3 numbers', { dnisPool: numbers(3), uniqueDnis: true }, ['SMALL_UNIQUE_POOL']],
    ['unique DNIS with 10 numbers', { dnisPool: numbers(10), uniqueDnis: true }, []],
    [
      'unique DNIS with 12 numbers, 5 of them reserved',
      { dnisPool: numbers(12).map((e, i) => (i < 5 ? { ...e, reserved: true } : e)), uniqueDnis: true },
      ['SMALL_UNIQUE_POOL'],
    ],
    [
      'unique DNIS with 10 numbers not reserved and 5 reserved',
      { dnisPool: numbers(15).map((e, i) => (i < 5 ? { ...e, reserved: true } : e)), uniqueDnis: true },
      [],
    ],
    [
      'every number reserved',
      { dnisPool: numbers(3).map((e) => ({ ...e, reserved: true })) },
      ['ALL_NUMBERS_RESERVED'],
    ],
    [
      'every number of a unique pool reserved (one warning, not two)',
      { dnisPool: numbers(3).map((e) => ({ ...e, reserved: true })), uniqueDnis: true },
      ['ALL_NUMBERS_RESERVED'],
    ],
    [
      'some numbers reserved: false, the rest unmarked',
      { dnisPool: numbers(2).map((e) => ({ ...e, reserved: false })) },
      [],
    ],
    [
      'a description with trailing spaces',
      { dnisPool: [{ number: '+18005555555', description: 'Claims ' }] },
      ['DESCRIPTION_WHITESPACE'],
    ],
    [
      'an inline pool too big for client-side apply',
      { dnisPool: numbers(5_000).map((e) => ({ ...e, description: 'd'.repeat(32) })) },
      ['POOL_TOO_BIG_FOR_CLIENT_APPLY'],
    ],
    [
      'a long cool-down on a small unique pool',
      { dnisPool: numbers(20), uniqueDnis: true, coolDownSeconds: 120 },
      ['COOL_DOWN_LONG'],
    ],
    [
      'a sticky window inside the cool-down, on a big unique pool',
      { dnisPool: numbers(100), uniqueDnis: true, coolDownSeconds: 120, selection: { stickySeconds: 60 } },
      ['STICKY_WITHIN_COOL_DOWN'],
    ],
    [
      'both, and a small unique pool (one warning each)',
      { dnisPool: numbers(3), uniqueDnis: true, coolDownSeconds: 120, selection: { stickySeconds: 60 } },
      ['SMALL_UNIQUE_POOL', 'COOL_DOWN_LONG', 'STICKY_WITHIN_COOL_DOWN'],
    ],
    [
      'a cool-down and a sticky window that outlasts it',
      {
        dnisPool: numbers(20),
        uniqueDnis: true,
        coolDownSeconds: 20,
        selection: { strategy: 'roundRobin', stickySeconds: 3600 },
      },
      [],
    ],
    ['the guide example', base, []],
  ])('%s', (_what, spec, expected) => {
    expect(warningsOf(spec)).toEqual(expected);
  });
});
