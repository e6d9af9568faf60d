import { describe, expect, it, vi } from 'vitest';
import { StoreCode, StoreError, type MemoryStore } from '../store/index.ts';
import { group, setup, storeWith, type AppHarness } from '../testing/app-harness.ts';

const create = async (on: AppHarness, groupName = 'desk') => {
  const res = await on.app.inject({ method: 'POST', url: `/v1/groups/${groupName}/requests`, payload: {} });
  return {
    status: res.statusCode,
    retryAfter: res.headers['retry-after'],
    body: res.json() as { id: string; number: string; error?: { code: string } },
  };
};

const unique = (size: number) =>
  group('desk', { uniqueDnis: true, accessCode: { generate: false, length: 6 } }, size);

// A full pool is walked once; the creates after it are refused from what that walk found, until
// something may have freed a number. Each case below is such a something.
describe('a unique pool found full', () => {
  it('is refused with the Retry-After of its next expiry, until a cancel frees a number', async () => {
    const h = await setup({ groups: [unique(3)] });
    const held = [await create(h), await create(h), await create(h)];
    expect(held.map((r) => r.status)).toEqual([201, 201, 201]);
    const refusals = [await create(h), await create(h)];
    expect(refusals.map((r) => [r.status, r.body.error?.code, r.retryAfter])).toEqual([
      [409, 'POOL_EXHAUSTED', '30'],
      [409, 'POOL_EXHAUSTED', '30'],
    ]);
    h.clock.now += 5_000;
    expect((await create(h)).retryAfter).toBe('25');
    const cancelled = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${held[1]?.body.id}` });
    expect(cancelled.statusCode).toBe(200);
    const again = await create(h);
    expect([again.status, again.body.number]).toEqual([201, held[1]?.body.number]);
  });

  it('walks the pool once for a burst of refusals, and again once a number may have freed', async () => {
    const h = await setup({ groups: [unique(50)] });
    const held = [];
    for (let i = 0; i < 50; i++) held.push(await create(h));
    const looks = vi.spyOn(h.view, 'isNumberBusy');
    expect((await create(h)).status).toBe(409);
    const walked = looks.mock.calls.length;
    // The first look sees every number busy; the one after reading the records, nothing new: no walk.
    expect(walked).toBeGreaterThanOrEqual(50);
    expect(walked).toBeLessThan(2 * 50);
    for (let i = 0; i < 10; i++) expect((await create(h)).status).toBe(409);
    expect(looks.mock.calls.length).toBe(walked);
    const cancelled = await h.app.inject({ method: 'DELETE', url: `/v1/requests/${held[7]?.body.id}` });
    expect(cancelled.statusCode).toBe(200);
    const again = await create(h);
    expect([again.status, again.body.number]).toEqual([201, held[7]?.body.number]);
    expect(looks.mock.calls.length).toBeGreaterThan(walked);
  });

  it('hands out a number once its request expires', async () => {
    const h = await setup({ groups: [unique(2)] });
    await create(h);
    h.clock.now += 10_000;
    const second = await create(h);
    expect((await create(h)).status).toBe(409);
    // The first request's 30 s are over: its number is free, though nothing told the view so.
    h.clock.now += 20_000;
    const again = await create(h);
    expect(again.status).toBe(201);
    expect(again.body.number).not.toBe(second.body.number);
  });

  it('keeps what it knows through a reload that leaves the group as it was', async () => {
    const h = await setup({ groups: [unique(20), group('other')] });
    for (let i = 0; i < 20; i++) await create(h);
    const looks = vi.spyOn(h.view, 'isNumberBusy');
    expect((await create(h)).status).toBe(409);
    const walked = looks.mock.calls.length;
    // Another group changes; this one is read again unchanged (a new but equal object).
    h.groups.set('test:other', group('other', { expirySeconds: 60 }));
    h.groups.set('test:desk', unique(20));
    expect((await create(h)).status).toBe(409);
    expect(looks.mock.calls.length).toBe(walked);
  });

  it('takes the numbers a reload adds', async () => {
    const h = await setup({ groups: [unique(2)] });
    await create(h);
    await create(h);
    expect((await create(h)).status).toBe(409);
    h.groups.set('test:desk', unique(3));
    const again = await create(h);
    expect([again.status, again.body.number]).toEqual([201, '+18005551002']);
  });

  it('hands out a number whose create failed while the pool was walked', async () => {
    // The store refuses (unavailable) the first create on the last free number, once the other
    // create has found the pool full with that number in flight.
    let releaseFailure: () => void = () => undefined;
    const failing = new Promise<void>((resolve) => (releaseFailure = resolve));
    let enteredFailing: () => void = () => undefined;
    const entered = new Promise<void>((resolve) => (enteredFailing = resolve));
    let failNext = false;
    const storeSeenAs = (store: MemoryStore) =>
      storeWith(store, {
        create: async (key, value, ttl) => {
          if (!failNext) return store.create(key, value, ttl);
          failNext = false;
          enteredFailing();
          await failing;
          throw new StoreError(StoreCode.Unavailable, 'the store is unavailable (test)');
        },
      });
    const h = await setup({ groups: [unique(2)], storeSeenAs });
    const first = await create(h);
    failNext = true;
    const inFlight = create(h);
    await entered;
    const whileInFlight = await create(h);
    expect(whileInFlight.body.error?.code).toBe('POOL_EXHAUSTED');
    releaseFailure();
    expect((await inFlight).status).toBe(503);
    const again = await create(h);
    expect(again.status).toBe(201);
    expect(again.body.number).not.toBe(first.body.number);
  });
});
