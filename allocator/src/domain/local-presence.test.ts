import { describe, expect, it } from 'vitest';
import { numberLocality, type DnisEntry, type LocalPresence } from '#api';
import { planTieredAttempts, type AttemptSettings } from './attempt-plan.ts';
import { indexLocalities, localTiers, matchLevel } from './local-presence.ts';
import { indexPool } from './pool-index.ts';
import { seededRandom } from './seeded-random.ts';

/** Two numbers in each of these areas; the last one reserved. */
const pool: DnisEntry[] = [
  { number: '+14155550100' }, // US, San Francisco 415
  { number: '+14155550101' },
  { number: '+12125550100' }, // US, New York 212
  { number: '+16135550100' }, // CA, Ottawa 613
  { number: '+442079460100' }, // GB, London 20
  { number: '+441614960100' }, // GB, Manchester 161
  { number: '+493012345670' }, // DE, Berlin 30
  { number: '+498912345670' }, // DE, Munich 89
  { number: '+33123456780' }, // FR, Paris 1
  { number: '+33491123450' }, // FR, Marseille 4
  { number: '+61212345670' }, // AU, Sydney 2
  { number: '+61312345670' }, // AU, Melbourne 3
  { number: '+14155550199', reserved: true },
];
const prefer: LocalPresence = { match: 'prefer', level: 'area' };
const unique: AttemptSettings = { uniqueDnis: true, accessCode: { generate: false, length: 6 } };
const numbersOf = (entries: readonly DnisEntry[]) => entries.map((e) => e.number);

function tiersFor(settings: LocalPresence, caller: string | undefined) {
  const index = indexPool(pool, settings);
  const locality = index.locality ?? indexLocalities(pool, index.automatic, settings);
  const tiers = localTiers(locality, index.automatic, caller ? numberLocality(caller) : undefined);
  return tiers.map((t) => ({ level: t.level, numbers: numbersOf(t.pool) }));
}

describe('local presence: the numbers near a caller, per country', () => {
  it.each([
    [
      'US, 415',
      '+14155551234',
      ['+14155550100', '+14155550101'],
      ['+14155550100', '+14155550101', '+12125550100'],
    ],
    ['US, 646 (no number there)', '+16465551234', [], ['+14155550100', '+14155550101', '+12125550100']],
    ['CA, 613', '+16135559876', ['+16135550100'], ['+16135550100']],
    ['GB, London 20', '+442071234567', ['+442079460100'], ['+442079460100', '+441614960100']],
    ['GB, Manchester 161', '+441619876543', ['+441614960100'], ['+442079460100', '+441614960100']],
    ['DE, Berlin 30', '+493098765432', ['+493012345670'], ['+493012345670', '+498912345670']],
    ['DE, a mobile (1512)', '+4915123456789', [], ['+493012345670', '+498912345670']],
    ['FR, Paris 1', '+33198765432', ['+33123456780'], ['+33123456780', '+33491123450']],
    ['AU, Melbourne 3', '+61398765432', ['+61312345670'], ['+61212345670', '+61312345670']],
    ['IT (no number there)', '+390612345678', [], []],
  ])('a caller in %s', (_where, caller, area, country) => {
    expect(tiersFor(prefer, caller)).toEqual([
      { level: 'area', numbers: area },
      { level: 'country', numbers: country },
      { level: 'none', numbers: numbersOf(pool.filter((e) => !e.reserved)) },
    ]);
    expect(tiersFor({ match: 'require', level: 'area' }, caller)).toEqual([{ level: 'area', numbers: area }]);
    expect(tiersFor({ match: 'require', level: 'country' }, caller)).toEqual([
      { level: 'country', numbers: country },
    ]);
  });

  it('falls back to every number for a caller it cannot place with prefer, and offers nothing with require', () => {
    const any = numbersOf(pool.filter((e) => !e.reserved));
    expect(tiersFor(prefer, undefined)).toEqual([
      { level: 'area', numbers: [] },
      { level: 'country', numbers: [] },
      { level: 'none', numbers: any },
    ]);
    expect(tiersFor({ match: 'prefer', level: 'country' }, '+8001234567')).toEqual([
      { level: 'country', numbers: [] },
      { level: 'none', numbers: any },
    ]);
    expect(tiersFor({ match: 'require', level: 'area' }, '+8001234567')).toEqual([
      { level: 'area', numbers: [] },
    ]);
  });

  it('leaves reserved numbers out of every tier but knows where they are', () => {
    const index = indexPool(pool, prefer);
    expect(index.locality?.byArea.get('1 415')?.map((e) => e.number)).toEqual([
      '+14155550100',
      '+14155550101',
    ]);
    expect(index.locality?.localities.get('+14155550199')).toEqual({
      callingCode: '1',
      country: 'US',
      area: '1 415',
    });
    expect(indexPool(pool).locality).toBeUndefined();
  });

  it('says how near a number is, down to the level', () => {
    const at = (n: string) => numberLocality(n);
    expect(matchLevel(at('+14155550100'), at('+14155551234'), 'area')).toBe('area');
    expect(matchLevel(at('+14155550100'), at('+14155551234'), 'country')).toBe('country');
    expect(matchLevel(at('+12125550100'), at('+14155551234'), 'area')).toBe('country');
    expect(matchLevel(at('+16135550100'), at('+14155551234'), 'area')).toBe('none');
    expect(matchLevel(at('+16135550100'), undefined, 'area')).toBe('none');
  });
});

describe('planTieredAttempts', () => {
  const tiers = () => {
    const index = indexPool(pool, prefer);
    return localTiers(index.locality!, index.automatic, numberLocality('+14155551234'));
  };

  it('tries the area first, then the rest of the country, then the rest, each number once', () => {
    const attempts = [...planTieredAttempts(tiers(), unique, undefined, () => false, seededRandom(1))];
    const seen = attempts.map((a) => `${a.localPresence} ${a.entry.number}`);
    expect(seen.slice(0, 2).sort()).toEqual(['area +14155550100', 'area +14155550101']);
    expect(seen[2]).toBe('country +12125550100');
    expect(seen.slice(3).every((s) => s.startsWith('none '))).toBe(true);
    expect(new Set(attempts.map((a) => a.entry.number)).size).toBe(attempts.length);
    expect(attempts).toHaveLength(pool.length - 1);
  });

  it('skips busy numbers in every tier, so a full area falls back to the country', () => {
    const busy = (e: DnisEntry) => e.number.startsWith('+1415');
    const [first] = planTieredAttempts(tiers(), unique, undefined, busy, seededRandom(2));
    expect(first).toMatchObject({ localPresence: 'country', entry: { number: '+12125550100' } });
  });
});
