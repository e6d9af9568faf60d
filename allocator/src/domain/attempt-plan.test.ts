import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DnisEntry } from '#api';
import {
  busyRule,
  CODE_TRIES_PER_NUMBER,
  needsCallerNumber,
  newRequest,
  planAttempts,
  planNumberAttempts,
  type Attempt,
  type AttemptSettings,
} from './attempt-plan.ts';
import { slotKey } from './keys.ts';
import { indexPool } from './pool-index.ts';
import { seededRandom } from './seeded-random.ts';

const pool: DnisEntry[] = [
  { number: '+18005551000' },
  { number: '+18005551001', description: 'Claims' },
  { number: '+18005551002' },
];
const unique: AttemptSettings = { uniqueDnis: true, accessCode: { generate: false, length: 6 } };
const codes: AttemptSettings = { uniqueDnis: false, accessCode: { generate: true, length: 6 } };
const callers: AttemptSettings = { uniqueDnis: false, accessCode: { generate: false, length: 6 } };
const startAt = (index: number) => ({ int: (max: number) => index % max });
const numbers = (attempts: Iterable<Attempt>) => [...attempts].map((a) => a.entry.number);

describe('planAttempts', () => {
  it('tries each free number of a unique-DNIS group once, from the random start, and wraps around', () => {
    const attempts = [...planAttempts(pool, unique, undefined, () => false, startAt(1))];
    expect(attempts.map((a) => a.entry.number)).toEqual(['+18005551001', '+18005551002', '+18005551000']);
    expect(attempts.every((a) => a.discriminator.kind === 'unique' && a.accessCode === undefined)).toBe(true);
  });

  it('skips the numbers the view shows busy, and ends when none is left', () => {
    const busy = (e: DnisEntry) => e.number !== '+18005551002';
    expect(numbers(planAttempts(pool, unique, undefined, busy, startAt(0)))).toEqual(['+18005551002']);
    expect(numbers(planAttempts(pool, unique, undefined, () => true, startAt(0)))).toEqual([]);
    expect(numbers(planAttempts([], unique, undefined, () => false, startAt(0)))).toEqual([]);
  });

  it('tries several fresh access codes on a shared number before moving to the next', () => {
    const attempts = [...planAttempts(pool, codes, undefined, () => false, seededRandom(3))];
    expect(attempts).toHaveLength(pool.length * CODE_TRIES_PER_NUMBER);
    const first = attempts.slice(0, CODE_TRIES_PER_NUMBER);
    expect(new Set(first.map((a) => a.entry.number)).size).toBe(1);
    for (const a of attempts) {
      expect(a.accessCode).toMatch(/^[1-9][0-9]{5}$/);
      expect(a.discriminator).toEqual({ kind: 'code', accessCode: a.accessCode });
    }
    expect(new Set(attempts.map((a) => a.entry.number)).size).toBe(pool.length);
  });

  it('tells requests apart by the caller on a shared number without codes', () => {
    const [attempt] = planAttempts(pool, callers, '+14155550123', () => false, startAt(2));
    expect(attempt).toEqual({
      entry: { number: '+18005551002' },
      discriminator: { kind: 'caller', callerNumber: '+14155550123' },
    });
  });

  it('reads the view when each attempt is asked for, not up front', () => {
    const busy = new Set<string>();
    const plan = planAttempts(pool, unique, undefined, (e) => busy.has(e.number), startAt(0));
    expect(plan.next().value?.entry.number).toBe('+18005551000');
    busy.add('+18005551001');
    expect(numbers({ [Symbol.iterator]: () => plan })).toEqual(['+18005551002']);
  });
});

describe('reserved numbers', () => {
  const withReserved: DnisEntry[] = [
    { number: '+18005551000', reserved: true },
    { number: '+18005551001' },
    { number: '+18005551002', description: 'VIP', reserved: true },
    { number: '+18005551003' },
  ];

  it('are never planned for automatic selection, from any start', () => {
    const { automatic } = indexPool(withReserved);
    for (let start = 0; start < 4; start++) {
      expect(numbers(planAttempts(automatic, unique, undefined, () => false, startAt(start))).sort()).toEqual(
        ['+18005551001', '+18005551003'],
      );
    }
    expect(
      numbers(
        planAttempts(
          indexPool(withReserved.filter((e) => e.reserved)).automatic,
          codes,
          undefined,
          () => false,
          startAt(0),
        ),
      ),
    ).toEqual([]);
  });

  it('leave every other number planned exactly once (any pool, any busy set, any seed)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ reserved: fc.boolean(), busy: fc.boolean() }), { maxLength: 40 }),
        fc.integer(),
        (flags, seed) => {
          const pool: DnisEntry[] = flags.map((f, i) => ({
            number: `+1800555${String(1000 + i)}`,
            ...(f.reserved ? { reserved: true as const } : {}),
          }));
          const busy = new Set(pool.filter((_, i) => flags[i]?.busy).map((e) => e.number));
          const planned = numbers(
            planAttempts(
              indexPool(pool).automatic,
              unique,
              undefined,
              (e) => busy.has(e.number),
              seededRandom(seed),
            ),
          );
          const expected = pool.filter((e) => !e.reserved && !busy.has(e.number)).map((e) => e.number);
          expect([...planned].sort()).toEqual([...expected].sort());
        },
      ),
    );
  });

  it('are indexed by number with the rest of the pool, and counted', () => {
    const index = indexPool(withReserved);
    expect(index.all).toBe(withReserved);
    expect(index.reservedCount).toBe(2);
    expect(index.byNumber.get('+18005551002')).toBe(withReserved[2]);
    expect(index.byNumber.get('+18005559999')).toBeUndefined();
    expect(indexPool(pool).automatic).toBe(pool);
  });
});

describe('planNumberAttempts: a request that asks for one number', () => {
  const vip: DnisEntry = { number: '+18005551002', description: 'VIP', reserved: true };

  it('tries that number once on a unique-DNIS group, reserved or not, whatever the view says', () => {
    expect([...planNumberAttempts(vip, unique, undefined, startAt(0))]).toEqual([
      { entry: vip, discriminator: { kind: 'unique' } },
    ]);
  });

  it("tries the caller's slot once on a shared number without codes", () => {
    expect([...planNumberAttempts(vip, callers, '+14155550123', startAt(0))]).toEqual([
      { entry: vip, discriminator: { kind: 'caller', callerNumber: '+14155550123' } },
    ]);
  });

  it('tries several fresh access codes on a shared number, all on that number', () => {
    const attempts = [...planNumberAttempts(vip, codes, undefined, seededRandom(5))];
    expect(attempts).toHaveLength(CODE_TRIES_PER_NUMBER);
    for (const a of attempts) {
      expect(a.entry).toBe(vip);
      expect(a.discriminator).toEqual({ kind: 'code', accessCode: a.accessCode });
    }
  });
});

describe('the rules around an attempt', () => {
  it('need a caller number only where nothing else tells requests apart', () => {
    expect([unique, codes, callers].map(needsCallerNumber)).toEqual([false, false, true]);
  });

  it('judge a number busy by the rule of the group', () => {
    const view = {
      isNumberBusy: (_g: string, n: string) => n === '+18005551000',
      callerHolds: (_g: string, n: string, caller: string) => n === '+18005551001' && caller === '+1415',
    };
    const busyFor = (s: AttemptSettings, caller?: string) =>
      pool.filter(busyRule(view, 'g', s, caller)).map((e) => e.number);
    expect(busyFor(unique)).toEqual(['+18005551000']);
    expect(busyFor(codes)).toEqual([]);
    expect(busyFor(callers, '+1415')).toEqual(['+18005551001']);
    expect(busyFor(callers, '+1416')).toEqual([]);
  });

  it('make the request an attempt would create, with its slot key and expiry', () => {
    const attempt: Attempt = {
      entry: { number: '+18005551001', description: 'Claims' },
      accessCode: '123456',
      discriminator: { kind: 'code', accessCode: '123456' },
    };
    expect(
      newRequest({
        id: 'r1',
        groupName: 'g',
        settings: { uniqueDnis: false, expirySeconds: 30, coolDownSeconds: 0 },
        attempt,
        nowMs: 1_000,
        callerNumber: '+14155550123',
        callbackServiceId: 'cb',
      }),
    ).toEqual({
      id: 'r1',
      groupName: 'g',
      number: '+18005551001',
      uniqueDnis: false,
      createdAtMs: 1_000,
      expiresAtMs: 31_000,
      key: slotKey('g', '+18005551001', { kind: 'code', accessCode: '123456' }),
      description: 'Claims',
      accessCode: '123456',
      callerNumber: '+14155550123',
      callbackServiceId: 'cb',
    });
    const bare = newRequest({
      id: 'r2',
      groupName: 'g',
      settings: { uniqueDnis: true, expirySeconds: 10, coolDownSeconds: 0 },
      attempt: { entry: { number: '+18005551000' }, discriminator: { kind: 'unique' } },
      nowMs: 0,
    });
    expect(Object.keys(bare)).toEqual([
      'id',
      'groupName',
      'number',
      'uniqueDnis',
      'createdAtMs',
      'expiresAtMs',
      'key',
    ]);
  });
});
