import { describe, expect, it } from 'vitest';
import { decodeGroupConfig, encodeGroupConfig, GroupConfigError } from './group-config.ts';
import type { ResolvedGroup } from './resolved-group.ts';

const group: ResolvedGroup = {
  groupName: 'auto_insurance',
  accessCode: { generate: true, length: 6 },
  expirySeconds: 30,
  uniqueDnis: false,
  coolDownSeconds: 0,
  selection: { strategy: 'random', stickySeconds: 0 },
  dnisPool: [{ number: '+18005555554', description: 'Claims, "east"' }, { number: '+18005555555' }],
};

describe('the group ConfigMap encoding', () => {
  it('holds settings in group.json and the pool as canonical CSV in pool.csv', () => {
    const data = encodeGroupConfig(group);
    expect(Object.keys(data).sort()).toEqual(['group.json', 'pool.csv']);
    expect(JSON.parse(data['group.json'] ?? '')).toEqual({
      groupName: 'auto_insurance',
      accessCode: { generate: true, length: 6 },
      expirySeconds: 30,
      uniqueDnis: false,
      coolDownSeconds: 0,
      selection: { strategy: 'random', stickySeconds: 0 },
      poolSize: 2,
    });
    expect(data['pool.csv']).toBe('+18005555554,"Claims, ""east"""\n+18005555555,\n');
  });

  it('decodes what it encodes', () => {
    expect(decodeGroupConfig(encodeGroupConfig(group))).toEqual(group);
  });

  it('carries localPresence in group.json only when it is on', () => {
    const near: ResolvedGroup = { ...group, localPresence: { match: 'require', level: 'country' } };
    const data = encodeGroupConfig(near);
    expect(JSON.parse(data['group.json'] ?? '').localPresence).toEqual({
      match: 'require',
      level: 'country',
    });
    expect(decodeGroupConfig(data)).toEqual(near);
    expect(JSON.parse(encodeGroupConfig(group)['group.json'] ?? '')).not.toHaveProperty('localPresence');
    const settings = JSON.parse(data['group.json'] ?? '');
    const bad = {
      ...data,
      'group.json': JSON.stringify({ ...settings, localPresence: { match: 'always', level: 'area' } }),
    };
    expect(() => decodeGroupConfig(bad)).toThrow(/localPresence must be/);
  });

  it('carries coolDownSeconds and selection in group.json, always', () => {
    const policies: ResolvedGroup = {
      ...group,
      coolDownSeconds: 3600,
      selection: { strategy: 'leastRecentlyUsed', stickySeconds: 86_400 },
    };
    const data = encodeGroupConfig(policies);
    const settings = JSON.parse(data['group.json'] ?? '') as Record<string, unknown>;
    expect(settings).toMatchObject({
      coolDownSeconds: 3600,
      selection: { strategy: 'leastRecentlyUsed', stickySeconds: 86_400 },
    });
    expect(decodeGroupConfig(data)).toEqual(policies);
    for (const strategy of ['random', 'leastRecentlyUsed', 'roundRobin'] as const) {
      const g: ResolvedGroup = { ...group, selection: { strategy, stickySeconds: 5 } };
      expect(decodeGroupConfig(encodeGroupConfig(g))).toEqual(g);
    }
  });

  it('reads a group.json written by an older operator, without coolDownSeconds and selection, with the defaults', () => {
    const data = encodeGroupConfig(group);
    const {
      coolDownSeconds: _c,
      selection: _s,
      ...older
    } = JSON.parse(data['group.json'] ?? '') as Record<string, unknown>;
    expect(older).not.toHaveProperty('coolDownSeconds');
    const decoded = decodeGroupConfig({ ...data, 'group.json': JSON.stringify(older) });
    expect(decoded.coolDownSeconds).toBe(0);
    expect(decoded.selection).toEqual({ strategy: 'random', stickySeconds: 0 });
    const partial = decodeGroupConfig({
      ...data,
      'group.json': JSON.stringify({ ...older, selection: { strategy: 'roundRobin' } }),
    });
    expect(partial.selection).toEqual({ strategy: 'roundRobin', stickySeconds: 0 });
  });

  it.each([
    [
      'coolDownSeconds 3601',
      { coolDownSeconds: 3601 },
      'coolDownSeconds must be a whole number from 0 to 3600',
    ],
    ['coolDownSeconds -1', { coolDownSeconds: -1 }, 'coolDownSeconds must be a whole number from 0 to 3600'],
    [
      'coolDownSeconds 1.5',
      { coolDownSeconds: 1.5 },
      'coolDownSeconds must be a whole number from 0 to 3600',
    ],
    [
      'coolDownSeconds "60"',
      { coolDownSeconds: '60' },
      'coolDownSeconds must be a whole number from 0 to 3600',
    ],
    [
      'coolDownSeconds null',
      { coolDownSeconds: null },
      'coolDownSeconds must be a whole number from 0 to 3600',
    ],
    [
      'stickySeconds null',
      { selection: { strategy: 'random', stickySeconds: null } },
      'selection.stickySeconds must be a whole number from 0 to 86400',
    ],
    ['selection null', { selection: null }, 'selection must be an object { strategy, stickySeconds }'],
    [
      'selection "random"',
      { selection: 'random' },
      'selection must be an object { strategy, stickySeconds }',
    ],
    [
      'strategy "fastest"',
      { selection: { strategy: 'fastest', stickySeconds: 0 } },
      'selection.strategy must be random, leastRecentlyUsed or roundRobin',
    ],
    [
      'stickySeconds 86401',
      { selection: { strategy: 'random', stickySeconds: 86_401 } },
      'selection.stickySeconds must be a whole number from 0 to 86400',
    ],
    [
      'stickySeconds -1',
      { selection: { strategy: 'random', stickySeconds: -1 } },
      'selection.stickySeconds must be a whole number from 0 to 86400',
    ],
  ])(
    'throws GROUP_CONFIG_INVALID for %s in group.json, naming the field and the rule',
    (_what, change, message) => {
      const data = encodeGroupConfig(group);
      const settings = JSON.parse(data['group.json'] ?? '') as Record<string, unknown>;
      const bad = { ...data, 'group.json': JSON.stringify({ ...settings, ...change }) };
      expect(() => decodeGroupConfig(bad)).toThrow(`group ConfigMap: group.json: ${message}`);
      expect(() => decodeGroupConfig(bad)).toThrow(
        expect.objectContaining({ code: 'GROUP_CONFIG_INVALID' }) as unknown as Error,
      );
    },
  );

  it('carries reserved numbers to the allocator in a third CSV column', () => {
    const reserved: ResolvedGroup = {
      ...group,
      dnisPool: [{ number: '+18005555554', description: 'VIP', reserved: true }, { number: '+18005555555' }],
    };
    const data = encodeGroupConfig(reserved);
    expect(data['pool.csv']).toBe('+18005555554,VIP,true\n+18005555555,,\n');
    expect(decodeGroupConfig(data)).toEqual(reserved);
  });

  it("fits the 10,000-number worst case in well under a ConfigMap's 1 MiB", () => {
    const worst: ResolvedGroup = {
      ...group,
      dnisPool: Array.from({ length: 10_000 }, (_, i) => ({
        number: `+49${String(1_000_000_000_000 + i)}`,
        description: 'd'.repeat(32),
      })),
    };
    expect(worst.dnisPool[0]?.number).toHaveLength(16);
    const data = encodeGroupConfig(worst);
    const bytes = Object.values(data).reduce((n, v) => n + Buffer.byteLength(v), 0);
    expect(bytes).toBeLessThan(520_000);
    expect(decodeGroupConfig(data).dnisPool).toHaveLength(10_000);
  });

  it.each([
    ['a missing group.json', { 'pool.csv': '+18005555554,\n' }, 'key group.json is missing'],
    ['a missing pool.csv', { 'group.json': '{}' }, 'key pool.csv is missing'],
    ['group.json that is not JSON', { 'group.json': '{', 'pool.csv': '' }, 'group.json is not JSON'],
    [
      'a bad expiry',
      {
        'group.json': JSON.stringify({
          groupName: 'g',
          accessCode: { generate: true, length: 6 },
          expirySeconds: 5,
          uniqueDnis: false,
        }),
        'pool.csv': '+18005555554,\n',
      },
      'expirySeconds must be a whole number from 10 to 1800',
    ],
    [
      'a bad number in the pool',
      { ...encodeGroupConfig(group), 'pool.csv': '+18005555554,\nnope,\n' },
      'pool.csv:2: line 2: number "nope" is not an E.164 phone number',
    ],
    [
      'a truncated pool',
      { ...encodeGroupConfig(group), 'pool.csv': '+18005555554,\n' },
      'pool.csv holds 1 numbers but group.json says 2',
    ],
  ])('throws a GroupConfigError for %s', (_what, data, message) => {
    expect(() => decodeGroupConfig(data)).toThrow(GroupConfigError);
    expect(() => decodeGroupConfig(data)).toThrow(message);
    try {
      decodeGroupConfig(data);
    } catch (err) {
      expect((err as GroupConfigError).code).toBe('GROUP_CONFIG_INVALID');
    }
  });
});
