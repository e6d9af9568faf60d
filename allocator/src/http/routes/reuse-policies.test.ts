import { describe, expect, it } from 'vitest';
import type { ResolvedGroup } from '#api';
import { group, setup, type AppHarness } from '../../testing/app-harness.ts';

const unique = { uniqueDnis: true, accessCode: { generate: false, length: 6 } };
const byCaller = { uniqueDnis: false, accessCode: { generate: false, length: 6 } };
const numbers = (n: number) => Array.from({ length: n }, (_, i) => `+1800555${String(1000 + i)}`);

function client(h: AppHarness, groupName: string) {
  return {
    create: (body: Record<string, unknown> = {}) =>
      h.app.inject({ method: 'POST', url: `/v1/groups/${groupName}/requests`, payload: body }),
    cancel: (id: string) => h.app.inject({ method: 'DELETE', url: `/v1/requests/${id}` }),
    get: (id: string) => h.app.inject({ method: 'GET', url: `/v1/requests/${id}` }),
    match: (body: Record<string, unknown>) =>
      h.app.inject({ method: 'POST', url: '/v1/match', payload: body }),
    status: async () =>
      (await h.app.inject({ method: 'GET', url: '/v1/groups' }))
        .json()
        .groups.find((g: { groupName: string }) => g.groupName === groupName),
  };
}

describe('cool-down before a number is handed out again', () => {
  it('keeps a matched number out of selection, by value and from a late call, for coolDownSeconds', async () => {
    const h = await setup({ groups: [group('rest', { ...unique, coolDownSeconds: 5 }, 2)] });
    const c = client(h, 'rest');
    const first = (await c.create()).json();
    const second = (await c.create()).json();
    expect((await c.match({ dialledNumber: first.number })).statusCode).toBe(200);
    expect((await c.get(first.id)).json()).toMatchObject({ state: 'matched' });
    expect(await c.status()).toMatchObject({ coolDownSeconds: 5, numbersInUse: 1, numbersCooling: 1 });

    const full = await c.create();
    expect([full.statusCode, full.json().error.code, full.headers['retry-after']]).toEqual([
      409,
      'POOL_EXHAUSTED',
      '5',
    ]);
    const asked = await c.create({ number: first.number });
    expect([asked.statusCode, asked.json().error.code, asked.headers['retry-after']]).toEqual([
      409,
      'NUMBER_UNAVAILABLE',
      '5',
    ]);
    // A caller who dials late reaches no request.
    const late = await c.match({ dialledNumber: first.number });
    expect([late.statusCode, late.json().error.code]).toEqual([404, 'NO_MATCH']);

    h.clock.now += 4_999;
    expect((await c.create()).statusCode).toBe(409);
    h.clock.now += 1;
    const again = await c.create();
    expect([again.statusCode, again.json().number]).toEqual([201, first.number]);
    expect(second.number).not.toBe(first.number);
  });

  it('rests a number after its request expires: the key lives for the expiry plus the cool-down', async () => {
    const h = await setup({
      groups: [group('rest', { ...unique, expirySeconds: 10, coolDownSeconds: 5 }, 1)],
    });
    const c = client(h, 'rest');
    const made = (await c.create()).json();
    h.clock.now += 10_000;
    expect((await c.get(made.id)).json()).toMatchObject({ state: 'expired' });
    const records = await h.app.inject({ method: 'GET', url: '/v1/records?group=rest' });
    expect(records.json().records[0]).toMatchObject({
      state: 'expired',
      request: { id: made.id },
      events: [{ type: 'created' }, { type: 'expired', at: made.expiresAt }],
    });
    const full = await c.create();
    expect([full.statusCode, full.json().error.code, full.headers['retry-after']]).toEqual([
      409,
      'POOL_EXHAUSTED',
      '5',
    ]);
    expect((await c.match({ dialledNumber: made.number })).statusCode).toBe(404);
    h.clock.now += 5_000;
    expect((await c.create()).statusCode).toBe(201);
  });

  it('on a number told apart by caller, rests only that caller on that number', async () => {
    const h = await setup({ groups: [group('shared', { ...byCaller, coolDownSeconds: 30 }, 1)] });
    const c = client(h, 'shared');
    const p = (await c.create({ callerNumber: '+14155550100' })).json();
    expect((await c.cancel(p.id)).statusCode).toBe(200);
    const same = await c.create({ callerNumber: '+14155550100' });
    expect([same.statusCode, same.json().error.code, same.headers['retry-after']]).toEqual([
      409,
      'POOL_EXHAUSTED',
      '30',
    ]);
    expect((await c.create({ callerNumber: '+14155550199' })).statusCode).toBe(201);
  });

  it('with no cool-down, frees the number at once (the default)', async () => {
    const h = await setup({ groups: [group('plain', unique, 1)] });
    const c = client(h, 'plain');
    const made = (await c.create()).json();
    await c.cancel(made.id);
    expect((await c.create()).statusCode).toBe(201);
    expect(await c.status()).toMatchObject({ coolDownSeconds: 0, numbersCooling: 0 });
  });
});

/** Creates and at once cancels `count` requests, returning the numbers handed out in order. */
async function cycle(h: AppHarness, groupName: string, count: number): Promise<string[]> {
  const c = client(h, groupName);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const made = await c.create();
    expect(made.statusCode).toBe(201);
    out.push(made.json().number);
    h.clock.now += 10;
    await c.cancel(made.json().id);
  }
  return out;
}

describe('selection strategy', () => {
  const pool = numbers(6);
  const withStrategy = (strategy: ResolvedGroup['selection']['strategy']) =>
    group('s', { ...unique, selection: { strategy, stickySeconds: 0 } }, pool.length);

  it('roundRobin hands the numbers out in pool order, wrapping around, skipping those in use', async () => {
    const h = await setup({ groups: [withStrategy('roundRobin')] });
    const seen = await cycle(h, 's', 8);
    const start = pool.indexOf(seen[0] as string);
    expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => pool[(start + i) % pool.length]));
    // A number held by a live request is skipped.
    const c = client(h, 's');
    const held = (await c.create()).json().number;
    const next = (await c.create()).json().number;
    expect(pool.indexOf(next)).toBe((pool.indexOf(held) + 1) % pool.length);
  });

  it('leastRecentlyUsed hands out one of the four numbers that rested longest', async () => {
    const h = await setup({ groups: [withStrategy('leastRecentlyUsed')] });
    const seen = await cycle(h, 's', 60);
    const lastUse = new Map<string, number>();
    seen.forEach((number, i) => {
      // Never handed out first (in pool order), then by when they last were.
      const restKey = (n: string) => lastUse.get(n) ?? pool.indexOf(n) - pool.length;
      const rested = [...pool].sort((a, b) => restKey(a) - restKey(b));
      expect(rested.slice(0, 4)).toContain(number);
      lastUse.set(number, i);
    });
    expect(new Set(seen).size).toBe(pool.length);
  });

  it('random (the default) does reuse a number just handed out', async () => {
    const h = await setup({ groups: [group('s', unique, pool.length)] });
    const seen = await cycle(h, 's', 60);
    expect(seen.some((n, i) => i > 0 && seen[i - 1] === n)).toBe(true);
  });
});

describe('stickiness', () => {
  const sticky = (over: Partial<ResolvedGroup> = {}) =>
    group('sticky', { ...unique, selection: { strategy: 'random', stickySeconds: 60 }, ...over }, 20);

  it('gives a caller who asks again within stickySeconds the number they had last, if it is free', async () => {
    const h = await setup({ groups: [sticky()] });
    const c = client(h, 'sticky');
    const caller = '+14155550100';
    const first = (await c.create({ callerNumber: caller })).json();
    expect(first.sticky).toBeUndefined();
    await c.cancel(first.id);
    for (let i = 0; i < 5; i++) {
      h.clock.now += 10_000;
      const again = (await c.create({ callerNumber: caller })).json();
      expect([again.number, again.sticky]).toEqual([first.number, true]);
      await c.cancel(again.id);
    }
    // Past the window (from the caller's last request), any number.
    h.clock.now += 60_001;
    const late = (await c.create({ callerNumber: caller })).json();
    expect(late.sticky).toBeUndefined();
    // Another caller, or no caller number, is not sticky.
    expect((await c.create({ callerNumber: '+14155550199' })).json().sticky).toBeUndefined();
    expect((await c.create()).json().sticky).toBeUndefined();
  });

  it('gives another number when the last one is taken, and none sticky without stickySeconds', async () => {
    const h = await setup({ groups: [sticky({ coolDownSeconds: 0 })] });
    const c = client(h, 'sticky');
    const first = (await c.create({ callerNumber: '+14155550100' })).json();
    await c.cancel(first.id);
    const taker = await c.create({ number: first.number });
    expect(taker.statusCode).toBe(201);
    const again = (await c.create({ callerNumber: '+14155550100' })).json();
    expect(again.number).not.toBe(first.number);
    expect(again.sticky).toBeUndefined();

    const plain = await setup({ groups: [group('plain', unique, 20)] });
    const p = client(plain, 'plain');
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const made = (await p.create({ callerNumber: '+14155550100' })).json();
      expect(made.sticky).toBeUndefined();
      seen.add(made.number);
      await p.cancel(made.id);
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});
