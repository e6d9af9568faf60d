import { describe, expect, it } from 'vitest';
import { FullPools } from './full-pools.ts';

describe('FullPools', () => {
  const group = { name: 'desk' };
  const found = { group, frees: 7, untilMs: 2_000, nextExpiryAtMs: 1_500 };

  it('knows a pool full while nothing freed a number and before the first busy one frees', () => {
    const pools = new FullPools<typeof group>();
    pools.remember('desk', found, 1_000);
    expect(pools.stillFull('desk', group, 7, 1_999)).toEqual({ nextExpiryAtMs: 1_500 });
    expect(pools.stillFull('other', group, 7, 1_000)).toBeUndefined();
  });

  it('forgets it once a number may have freed, or time freed one, or the group changed', () => {
    const pools = new FullPools<typeof group>();
    pools.remember('desk', found, 1_000);
    expect(pools.stillFull('desk', group, 8, 1_000)).toBeUndefined();
    // Forgotten for good, even when asked with the old count again.
    expect(pools.stillFull('desk', group, 7, 1_000)).toBeUndefined();
    pools.remember('desk', found, 1_000);
    expect(pools.stillFull('desk', group, 7, 2_000)).toBeUndefined();
    pools.remember('desk', found, 1_000);
    expect(pools.stillFull('desk', { name: 'desk' }, 7, 1_000)).toBeUndefined();
  });

  it('remembers nothing when no busy number is known to free with time', () => {
    const pools = new FullPools<typeof group>();
    pools.remember('desk', found, 1_000);
    pools.remember('desk', { ...found, untilMs: undefined }, 1_000);
    expect(pools.stillFull('desk', group, 7, 1_000)).toBeUndefined();
  });

  it('lets go of the pools whose time has come, asked about or not (a group removed since)', () => {
    const pools = new FullPools<typeof group>();
    pools.remember('removed', found, 1_000);
    pools.remember('desk', { ...found, untilMs: 9_000 }, 1_000);
    expect(pools.size).toBe(2);
    pools.remember('desk', { ...found, untilMs: 9_000 }, 2_000);
    expect(pools.size).toBe(1);
  });
});
