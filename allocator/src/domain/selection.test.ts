import { describe, expect, it } from 'vitest';
import type { DnisEntry } from '#api';
import { LRU_CHOICES, Selector } from './selection.ts';
import { seededRandom } from './seeded-random.ts';

const pool: DnisEntry[] = Array.from({ length: 8 }, (_, i) => ({ number: `+1800555100${i}` }));
const free = () => false;

describe('Selector', () => {
  it('roundRobin goes on after its last pick, wraps, and skips numbers busy or tried', () => {
    const pick = new Selector(seededRandom(3), () => undefined).picker('g', 'roundRobin');
    const first = pick(pool, free, new Set()) as DnisEntry;
    const start = pool.indexOf(first);
    const next = (k: number) => pool[(start + k) % pool.length] as DnisEntry;
    expect(pick(pool, free, new Set())).toBe(next(1));
    expect(pick(pool, (e) => e === next(2), new Set([next(3)]))).toBe(next(4));
    expect(pick(pool, free, new Set())).toBe(next(5));
    expect(pick(pool, () => true, new Set())).toBeUndefined();
    // Each pool (a tier, a new version of the group) has its own position.
    const other = pool.slice(0, 3);
    expect(other).toContain(pick(other, free, new Set()));
  });

  it('leastRecentlyUsed picks among the numbers never handed out, then those handed out longest ago', () => {
    const order = new Map<string, number>();
    const pick = new Selector(seededRandom(5), () => order).picker('g', 'leastRecentlyUsed');
    // The two never handed out, then the two handed out longest ago.
    for (const n of pool.slice(0, 6)) order.set(n.number, order.size);
    const firstChoices = new Set(Array.from({ length: 40 }, () => pick(pool, free, new Set())));
    expect(firstChoices).toEqual(new Set([pool[6], pool[7], pool[0], pool[1]]));
    for (const n of pool.slice(6)) order.set(n.number, order.size);
    const oldest = pool.slice(0, LRU_CHOICES);
    const seen = new Set<DnisEntry>();
    for (let i = 0; i < 40; i++) seen.add(pick(pool, free, new Set()) as DnisEntry);
    expect([...seen].sort((a, b) => pool.indexOf(a) - pool.indexOf(b))).toEqual(oldest);
    // Busy and tried numbers are passed over; a number not in the pool is ignored.
    order.set('+19999999999', -1);
    const busy = (e: DnisEntry) => e === pool[0];
    for (let i = 0; i < 20; i++)
      expect(pool.slice(2, 2 + LRU_CHOICES)).toContain(pick(pool, busy, new Set([pool[1] as DnisEntry])));
    expect(pick(pool, () => true, new Set())).toBeUndefined();
  });

  it('random picks from a random start', () => {
    const pick = new Selector(seededRandom(9), () => undefined).picker('g', 'random');
    const seen = new Set(Array.from({ length: 40 }, () => pick(pool, free, new Set())));
    expect(seen.size).toBeGreaterThan(4);
  });
});
