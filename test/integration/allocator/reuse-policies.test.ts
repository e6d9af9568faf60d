import type { KV } from '@nats-io/kv';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeRemoval, decodeRequest, groupPrefix } from '#allocator/domain/index';
import type { AllocatorProcess } from './allocator-process.ts';
import { groupYaml, tollFreeNumbers } from './group-yaml.ts';
import { useReplicaSet } from './replica-set.ts';

const UNIQUE = '  uniqueDnis: true\n  accessCode: { generate: false }';
const COOL_DOWN_SECONDS = 4;

/** What the bucket holds for a group: numbers of live requests and of cooling markers. */
async function slots(kv: KV, group: string): Promise<{ live: string[]; cooling: string[] }> {
  const live: string[] = [];
  const cooling: string[] = [];
  for await (const key of await kv.keys(`${groupPrefix(group)}>`)) {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) continue;
    const request = decodeRequest(e.value);
    const marker = request ? undefined : decodeRemoval(e.value);
    if (request) live.push(request.number);
    else if (marker?.coolsUntilMs !== undefined && marker.request) cooling.push(marker.request.number);
  }
  return { live: live.sort(), cooling: cooling.sort() };
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('cool-down, selection strategies and stickiness with three replicas on one nats-server', () => {
  const pool = tollFreeNumbers(6, 7000);
  const set = useReplicaSet(
    'reuse',
    groupYaml('rest', pool, 30, `${UNIQUE}\n  coolDownSeconds: ${COOL_DOWN_SECONDS}`) +
      groupYaml('lapse', tollFreeNumbers(1, 7100), 10, `${UNIQUE}\n  coolDownSeconds: 2`) +
      groupYaml(
        'lru',
        tollFreeNumbers(8, 7200),
        30,
        `${UNIQUE}\n  selection: { strategy: leastRecentlyUsed }`,
      ) +
      groupYaml('rr', tollFreeNumbers(8, 7300), 30, `${UNIQUE}\n  selection: { strategy: roundRobin }`) +
      groupYaml('sticky', tollFreeNumbers(50, 7400), 30, `${UNIQUE}\n  selection: { stickySeconds: 600 }`) +
      ['random', 'leastRecentlyUsed', 'roundRobin']
        .map((strategy, i) =>
          groupYaml(
            `solo-${strategy}`,
            tollFreeNumbers(8, 7500 + i * 100),
            30,
            `${UNIQUE}\n  selection: { strategy: ${strategy} }`,
          ),
        )
        .join(''),
  );
  let replicas: AllocatorProcess[] = [];
  beforeAll(() => {
    replicas = set.replicas;
  });
  const on = (i: number) => replicas[i % replicas.length] as AllocatorProcess;
  const create = (i: number, group: string, body: Record<string, unknown> = {}) =>
    on(i).post(`/v1/groups/${group}/requests`, body);

  it('keeps every ended number out of reach of all replicas until its cool-down has passed', async () => {
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => create(i, 'rest')));
    const held = made.filter((r) => r.status === 201).map((r) => r.body);
    expect(held.map((r) => r.number).sort()).toEqual(pool);

    // Ended through other replicas than the ones that created them: half matched, half cancelled.
    const ends = await Promise.all(
      held.map((r, i) =>
        i % 2 === 0
          ? on(i + 1).post('/v1/match', { dialledNumber: r.number })
          : on(i + 1).request('DELETE', `/v1/requests/${r.id}`),
      ),
    );
    expect(ends.map((r) => r.status)).toEqual(held.map(() => 200));
    const endedAt = Date.now();
    expect(await slots(set.kv, 'rest')).toEqual({ live: [], cooling: pool });

    const refused = await Promise.all(Array.from({ length: 30 }, (_, i) => create(i, 'rest')));
    const late = await Promise.all(pool.map((n, i) => on(i).post('/v1/match', { dialledNumber: n })));
    const asked = await create(2, 'rest', { number: pool[0] });
    // All of it well inside the cool-down (a machine too slow for that fails here, not silently).
    expect(Date.now() - endedAt).toBeLessThan(COOL_DOWN_SECONDS * 1000 - 1000);
    for (const r of refused) {
      expect([r.status, r.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(COOL_DOWN_SECONDS);
    }
    expect(late.map((r) => r.status)).toEqual(pool.map(() => 404));
    expect([asked.status, asked.body.error.code]).toEqual([409, 'NUMBER_UNAVAILABLE']);
    const status = await on(1).get('/v1/groups');
    expect(status.groups.find((g: { groupName: string }) => g.groupName === 'rest')).toMatchObject({
      coolDownSeconds: COOL_DOWN_SECONDS,
    });

    // Once the markers' TTL has run out, every number is there again, and for one request each.
    const again = await eventually(async () => {
      const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => create(i, 'rest')));
      const ok = rs.filter((r) => r.status === 201);
      if (ok.length === 0) return undefined;
      return ok;
    }, 10_000);
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(COOL_DOWN_SECONDS * 1000 - 1000);
    const numbers = again.map((r) => r.body.number as string);
    expect(new Set(numbers).size).toBe(numbers.length);
    const { live } = await slots(set.kv, 'rest');
    expect(live).toEqual(expect.arrayContaining(numbers));
  });

  it('rests a number after its request expires: TTL of the expiry plus the cool-down, seen by every replica', async () => {
    const made = await create(0, 'lapse');
    expect(made.status).toBe(201);
    await new Promise((r) => setTimeout(r, 10_200));
    const read = await on(1).get(`/v1/requests/${made.body.id}`);
    expect(read.state).toBe('expired');
    const records = await on(2).get('/v1/records?group=lapse');
    expect(records.records[0]).toMatchObject({ state: 'expired', request: { id: made.body.id } });
    const resting = await create(2, 'lapse');
    expect([resting.status, resting.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
    expect((await on(1).post('/v1/match', { dialledNumber: made.body.number })).status).toBe(404);
    const next = await eventually(async () => {
      const r = await create(1, 'lapse');
      return r.status === 201 ? r : undefined;
    }, 6_000);
    expect(next.body.number).toBe(made.body.number);
  });

  it('keeps every number to one live request under each strategy, racing over the replicas', async () => {
    for (const group of ['lru', 'rr']) {
      const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => create(i, group)));
      const ok = rs.filter((r) => r.status === 201).map((r) => r.body.number as string);
      expect(ok.sort()).toEqual(group === 'lru' ? tollFreeNumbers(8, 7200) : tollFreeNumbers(8, 7300));
      for (const r of rs.filter((x) => x.status !== 201))
        expect([r.status, r.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
      expect((await slots(set.kv, group)).live).toEqual(ok);
    }
  });

  it('passes over the numbers its own creates in flight are writing, under every strategy', async () => {
    const attempts = async (group: string) => {
      const text = await (await fetch(`${on(0).metricsUrl}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`c2c_allocator_allocation_attempts_total{group="${group}"}`));
      return Number(line?.split(' ').pop() ?? 0);
    };
    for (const strategy of ['random', 'leastRecentlyUsed', 'roundRobin']) {
      const group = `solo-${strategy}`;
      const made = await Promise.all(Array.from({ length: 8 }, () => create(0, group)));
      expect(made.map((r) => r.status)).toEqual(made.map(() => 201));
      expect(new Set(made.map((r) => r.body.number)).size).toBe(8);
      // One write each: no two concurrent creates of the replica reached for the same number.
      expect([strategy, await attempts(group)]).toEqual([strategy, 8]);
    }
  });

  it('keeps every number to one request while sticky callers and others race over the replicas', async () => {
    const callers = Array.from({ length: 15 }, (_, i) => `+1415555${String(2000 + i)}`);
    const first = await Promise.all(callers.map((callerNumber, i) => create(i, 'sticky', { callerNumber })));
    expect(first.map((r) => r.status)).toEqual(callers.map(() => 201));
    const had = new Map(callers.map((c, i) => [c, first[i]?.body.number as string]));
    await Promise.all(first.map((r, i) => on(i + 1).request('DELETE', `/v1/requests/${r.body.id}`)));
    // Every replica's view has seen the creates once it read them.
    for (let i = 0; i < replicas.length; i++)
      for (const r of first) expect((await on(i).get(`/v1/requests/${r.body.id}`)).state).toBe('cancelled');
    const results = await Promise.all([
      ...callers.map((callerNumber, i) => create(i + 2, 'sticky', { callerNumber })),
      ...Array.from({ length: 20 }, (_, i) => create(i, 'sticky')),
    ]);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    const numbers = results.map((r) => r.body.number as string);
    expect(new Set(numbers).size).toBe(numbers.length);
    callers.forEach((caller, i) => {
      const r = results[i];
      if (r?.body.sticky === true) expect(r.body.number).toBe(had.get(caller));
    });
    expect(results.slice(0, callers.length).filter((r) => r.body.sticky === true).length).toBeGreaterThan(0);
    expect((await slots(set.kv, 'sticky')).live).toEqual(expect.arrayContaining(numbers));
  });

  it('hands a caller their last number again on any replica, and another when it is taken', async () => {
    const caller = '+14155550100';
    const first = await create(0, 'sticky', { callerNumber: caller });
    expect(first.status).toBe(201);
    expect((await on(1).request('DELETE', `/v1/requests/${first.body.id}`)).status).toBe(200);
    // Replica 2 reads the request (its view then reflects the create), then the caller asks there.
    expect((await on(2).get(`/v1/requests/${first.body.id}`)).state).toBe('cancelled');
    const again = await create(2, 'sticky', { callerNumber: caller });
    expect([again.status, again.body.number, again.body.sticky]).toEqual([201, first.body.number, true]);

    // Another caller takes it by value; the first caller then gets a different number.
    await on(0).request('DELETE', `/v1/requests/${again.body.id}`);
    const taken = await create(1, 'sticky', { number: first.body.number, callerNumber: '+14155550199' });
    expect(taken.status).toBe(201);
    expect((await on(0).get(`/v1/requests/${taken.body.id}`)).state).toBe('live');
    const other = await create(0, 'sticky', { callerNumber: caller });
    expect(other.status).toBe(201);
    expect(other.body.number).not.toBe(first.body.number);
    expect(other.body.sticky).toBeUndefined();
  });
});
