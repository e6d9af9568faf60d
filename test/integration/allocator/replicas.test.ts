import type { KV } from '@nats-io/kv';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupPrefix } from '#allocator/domain/index';
import { eventually } from '../../harness/context.ts';
import type { AllocatorProcess } from './allocator-process.ts';
import { groupYaml, tollFreeNumbers } from './group-yaml.ts';
import { useReplicaSet } from './replica-set.ts';

const EXPIRY_SECONDS = 10;

/**
 * Every lease of a group the KV bucket still holds. Leases stay in the store until NATS expires them
 * (per-message TTL, one-second resolution), a moment after their `expiresAtMs`: a number is free for
 * the allocator only once the store says so, so tests wait on the store, not on the clock.
 */
async function storedLeases(
  kv: KV,
  group: string,
): Promise<Array<{ key: string; number: string; id: string }>> {
  const out = [];
  for await (const key of await kv.keys(`${groupPrefix(group)}>`)) {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) continue;
    const v = e.json<{ number: string; id: string }>();
    out.push({ key, number: v.number, id: v.id });
  }
  return out;
}

describe('several allocator replicas on one nats-server', () => {
  const set = useReplicaSet(
    'replicas',
    groupYaml(
      'unique-pool',
      tollFreeNumbers(20, 1000),
      EXPIRY_SECONDS,
      '  uniqueDnis: true\n  accessCode: { generate: false }',
    ) +
      groupYaml(
        'kill-pool',
        tollFreeNumbers(30, 2000),
        EXPIRY_SECONDS,
        '  uniqueDnis: true\n  accessCode: { generate: false }',
      ) +
      groupYaml(
        'shared',
        tollFreeNumbers(2, 3000),
        EXPIRY_SECONDS,
        '  uniqueDnis: false\n  accessCode: { generate: true, length: 4 }',
      ),
  );
  // The tests below take replicas out of this list as they kill them.
  let replicas: AllocatorProcess[] = [];
  let kv: KV;
  beforeAll(() => {
    replicas = [...set.replicas];
    kv = set.kv;
  });

  const create = (i: number, group: string) =>
    (replicas[i % replicas.length] as AllocatorProcess).post(`/v1/groups/${group}/requests`, {});

  it('never holds a unique number twice under 64 requests in flight, refuses once full, and frees numbers on expiry', async () => {
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => create(i, 'unique-pool')));
    const ok = results.filter((r) => r.status === 201);
    const full = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(20);
    expect(full).toHaveLength(44);
    for (const r of full) expect(r.body.error.code).toBe('POOL_EXHAUSTED');
    expect(new Set(ok.map((r) => r.body.number)).size).toBe(20);

    const leases = await storedLeases(kv, 'unique-pool');
    expect(leases).toHaveLength(20);
    expect(new Set(leases.map((l) => l.number)).size).toBe(20);
    expect(new Set(leases.map((l) => l.id))).toEqual(new Set(ok.map((r) => r.body.id)));
    for (const r of replicas) {
      await eventually(
        'every replica to see 20 live requests',
        async () => (await r.get('/v1/groups/unique-pool/requests')).requests.length === 20,
      );
    }
    const again = await create(0, 'unique-pool');
    expect(again.status).toBe(409);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);

    // Real expiry (NATS per-message TTL) frees every number again.
    await eventually(
      'the leases to expire',
      async () => (await storedLeases(kv, 'unique-pool')).length === 0,
      30_000,
      250,
    );
    await eventually(
      'a number to be free again',
      async () => (await create(1, 'unique-pool')).status === 201,
      30_000,
      250,
    );
    const refill = await Promise.all(Array.from({ length: 64 }, (_, i) => create(i, 'unique-pool')));
    expect(refill.filter((r) => r.status === 201)).toHaveLength(19);
    const after = await storedLeases(kv, 'unique-pool');
    expect(new Set(after.map((l) => l.number)).size).toBe(after.length);
    expect(after).toHaveLength(20);
  });

  it('lets exactly one of two racing matches for one request win', async () => {
    for (let round = 0; round < 5; round++) {
      const created = await create(round, 'shared');
      expect(created.status).toBe(201);
      const body = { dialledNumber: created.body.number, accessCode: created.body.accessCode };
      const [a, b] = await Promise.all([
        (replicas[0] as AllocatorProcess).post('/v1/match', body),
        (replicas[1] as AllocatorProcess).post('/v1/match', body),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 404]);
      const winner = a.status === 200 ? a : b;
      expect(winner.body.request.id).toBe(created.body.id);
    }
  });

  it('leaks no lease when a replica is SIGKILLed mid-load, and the others keep serving', async () => {
    const victim = replicas[2] as AllocatorProcess;
    const survivors = replicas.slice(0, 2);
    const load = Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        (i % 3 === 2 ? victim : (survivors[i % 2] as AllocatorProcess))
          .post('/v1/groups/kill-pool/requests', {})
          .catch(() => ({ status: 0, body: {}, headers: new Headers() })),
      ),
    );
    victim.process.killNow();
    const results = await load;
    await victim.process.exited;
    replicas = survivors.concat([]);
    const served = results.filter((r) => r.status === 201 || r.status === 409);
    expect(served.length).toBeGreaterThanOrEqual(32);
    const held = await storedLeases(kv, 'kill-pool');
    expect(new Set(held.map((l) => l.number)).size).toBe(held.length);

    await eventually(
      "every lease to expire, the dead replica's too",
      async () => (await storedLeases(kv, 'kill-pool')).length === 0,
      30_000,
      250,
    );
    await eventually('survivors to see the pool free', async () => {
      for (const r of survivors)
        if ((await r.get('/v1/groups/kill-pool/requests')).requests.length !== 0) return false;
      return true;
    });
    const refill = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (survivors[i % 2] as AllocatorProcess).post('/v1/groups/kill-pool/requests', {}),
      ),
    );
    const statuses: Record<number, number> = {};
    for (const r of refill) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    expect(
      statuses,
      JSON.stringify(refill.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body)),
    ).toEqual({ 201: 30, 409: 10 });
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const r = replicas.shift() as AllocatorProcess;
    const inFlight = Promise.all(
      Array.from({ length: 8 }, () => r.post('/v1/groups/shared/requests', {}).catch(() => undefined)),
    );
    r.process.signal('SIGTERM');
    expect(await r.process.exited).toBe(0);
    await inFlight;
    await r.stop();
  });
});
