import type { KV } from '@nats-io/kv';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupPrefix } from '#allocator/domain/index';
import type { AllocatorProcess } from './allocator-process.ts';
import { groupYaml, tollFreeNumbers } from './group-yaml.ts';
import { useReplicaSet } from './replica-set.ts';

const EXPIRY_SECONDS = 30;
const UNIQUE = '  uniqueDnis: true\n  accessCode: { generate: false }';

/** 20 numbers from `base`, the first 5 reserved. */
const poolWithReserved = (base: number) =>
  tollFreeNumbers(20, base).map((number, i) => (i < 5 ? { number, reserved: true } : { number }));

/** The numbers of the live leases of a group, straight from the KV bucket. */
async function leasedNumbers(kv: KV, group: string): Promise<string[]> {
  const out: string[] = [];
  for await (const key of await kv.keys(`${groupPrefix(group)}>`)) {
    const e = await kv.get(key);
    if (e && e.operation === 'PUT' && e.value.length > 0) out.push(e.json<{ number: string }>().number);
  }
  return out.sort();
}

describe('reserved numbers with three replicas on one nats-server', () => {
  const set = useReplicaSet(
    'reserved',
    groupYaml('race', poolWithReserved(4000), EXPIRY_SECONDS, UNIQUE) +
      groupYaml('fill', poolWithReserved(5000), EXPIRY_SECONDS, UNIQUE),
  );
  let replicas: AllocatorProcess[] = [];
  beforeAll(() => {
    replicas = set.replicas;
  });
  const create = (i: number, group: string, body: Record<string, unknown> = {}) =>
    (replicas[i % replicas.length] as AllocatorProcess).post(`/v1/groups/${group}/requests`, body);

  it('gives a number that 30 concurrent requests over the replicas ask for to exactly one of them', async () => {
    const [reserved, unreserved] = [tollFreeNumbers(1, 4000)[0], tollFreeNumbers(1, 4010)[0]];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        create(i, 'race', { number: i % 2 === 0 ? reserved : unreserved }),
      ),
    );
    for (const number of [reserved, unreserved]) {
      const forNumber = results.filter((_, i) => (i % 2 === 0 ? reserved : unreserved) === number);
      const won = forNumber.filter((r) => r.status === 201);
      expect(won).toHaveLength(1);
      expect(won[0]?.body.number).toBe(number);
      const lost = forNumber.filter((r) => r.status !== 201);
      expect(lost).toHaveLength(29);
      for (const r of lost) {
        expect([r.status, r.body.error.code]).toEqual([409, 'NUMBER_UNAVAILABLE']);
        // Known from the view, or read from the store where the view had not yet seen the winner.
        const retryAfter = Number(r.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(EXPIRY_SECONDS);
      }
    }
    expect(await leasedNumbers(set.kv, 'race')).toEqual([reserved, unreserved].sort());
    const missing = await create(0, 'race', { number: '+18009999999' });
    expect([missing.status, missing.body.error.code]).toEqual([422, 'NUMBER_NOT_IN_POOL']);
  });

  it('never hands out a reserved number automatically, even when the pool is full', async () => {
    const pool = poolWithReserved(5000);
    const reserved = pool.filter((e) => e.reserved).map((e) => e.number);
    const results = await Promise.all(Array.from({ length: 48 }, (_, i) => create(i, 'fill')));
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(15);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect([r.status, r.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
    }
    const handedOut = ok.map((r) => r.body.number as string);
    expect(new Set(handedOut).size).toBe(15);
    expect(handedOut.filter((n) => reserved.includes(n))).toEqual([]);
    expect(await leasedNumbers(set.kv, 'fill')).toEqual([...handedOut].sort());

    // Full for automatic selection, yet every reserved number is there for a request that asks for it.
    const asked = await Promise.all(reserved.map((number, i) => create(i, 'fill', { number })));
    expect(asked.map((r) => [r.status, r.body.number])).toEqual(reserved.map((n) => [201, n]));
    const after = await create(1, 'fill');
    expect([after.status, after.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
    expect(await leasedNumbers(set.kv, 'fill')).toEqual(pool.map((e) => e.number).sort());
  });
});

describe('local presence with three replicas on one nats-server', () => {
  const sf = ['+14155550100', '+14155550101', '+14155550102'];
  const ny = ['+12125550100', '+12125550101', '+12125550102'];
  const london = '+442079460100';
  const set = useReplicaSet(
    'local-presence',
    groupYaml(
      'prefer-area',
      [...sf, ...ny, london],
      EXPIRY_SECONDS,
      `${UNIQUE}\n  localPresence: { match: prefer, level: area }`,
    ) +
      groupYaml(
        'require-area',
        ['+14155550200', '+14155550201', '+12125550200', '+12125550201'],
        EXPIRY_SECONDS,
        `${UNIQUE}\n  localPresence: { match: require }`,
      ),
  );
  let replicas: AllocatorProcess[] = [];
  beforeAll(() => {
    replicas = set.replicas;
  });
  const create = (i: number, group: string, callerNumber: string) =>
    (replicas[i % replicas.length] as AllocatorProcess).post(`/v1/groups/${group}/requests`, {
      callerNumber,
    });
  const caller = (area: string, i: number) => `+1${area}555${String(7000 + i)}`;

  it('gives callers from each area a number of their area, and falls back when their area is full', async () => {
    const first = await Promise.all([
      ...[0, 1, 2].map((i) => create(i, 'prefer-area', caller('415', i))),
      ...[3, 4].map((i) => create(i, 'prefer-area', caller('212', i))),
    ]);
    expect(first.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(first.map((r) => r.body.localPresence)).toEqual(['area', 'area', 'area', 'area', 'area']);
    expect(
      first
        .slice(0, 3)
        .map((r) => r.body.number)
        .sort(),
    ).toEqual(sf);
    for (const r of first.slice(3)) expect(ny).toContain(r.body.number);

    // San Francisco is full: one more caller from there gets New York's last number, the next London's.
    const second = await Promise.all([5, 6].map((i) => create(i, 'prefer-area', caller('415', i))));
    expect(second.map((r) => [r.body.localPresence, r.body.number]).sort()).toEqual([
      ['country', ny.find((n) => !first.some((r) => r.body.number === n))],
      ['none', london],
    ]);
    const full = await create(7, 'prefer-area', caller('212', 7));
    expect([full.status, full.body.error.code]).toEqual([409, 'POOL_EXHAUSTED']);
    expect((await leasedNumbers(set.kv, 'prefer-area')).length).toBe(7);
  });

  it('refuses a caller whose area is full when local presence is required, across replicas', async () => {
    const results = await Promise.all([
      ...[0, 1, 2].map((i) => create(i, 'require-area', caller('415', i))),
      ...[3, 4].map((i) => create(i, 'require-area', caller('212', i))),
    ]);
    const sfResults = results.slice(0, 3);
    expect(
      sfResults
        .filter((r) => r.status === 201)
        .map((r) => r.body.number)
        .sort(),
    ).toEqual(['+14155550200', '+14155550201']);
    const [refused] = sfResults.filter((r) => r.status !== 201);
    expect([refused?.status, refused?.body.error.code]).toEqual([409, 'NO_LOCAL_NUMBER']);
    expect(refused?.body.error.details).toMatchObject({
      callerCountry: 'US',
      callerArea: '415',
      localNumbers: 2,
    });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(results.slice(3).map((r) => [r.status, r.body.localPresence])).toEqual([
      [201, 'area'],
      [201, 'area'],
    ]);
    const nowhere = await create(5, 'require-area', caller('646', 5));
    expect(nowhere.body.error).toMatchObject({ code: 'NO_LOCAL_NUMBER', details: { localNumbers: 0 } });
    expect(await leasedNumbers(set.kv, 'require-area')).toEqual([
      '+12125550200',
      '+12125550201',
      '+14155550200',
      '+14155550201',
    ]);
    // A number of the caller's area cancelled through one replica is free through another at once.
    const held = sfResults.find((r) => r.status === 201);
    const cancelled = await fetch(`${replicas[0]?.url}/v1/requests/${held?.body.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    const again = await create(1, 'require-area', caller('415', 9));
    expect([again.status, again.body.number]).toEqual([201, held?.body.number]);
  });
});
