import { describe, expect, it } from 'vitest';
import { decodeGuard, guardKey } from '#allocator/domain/index';
import type { AllocatorProcess } from './allocator-process.ts';
import { groupYaml } from './group-yaml.ts';
import { useReplicaSet } from './replica-set.ts';

const FAILURES_PER_NUMBER = 6;
const FAILURES_PER_REQUEST = 3;

/** A wrong code of the same length as `code`. */
const wrongCode = (code: string, n: number) =>
  String(
    10 ** (code.length - 1) + ((Number(code) - 10 ** (code.length - 1) + n) % (9 * 10 ** (code.length - 1))),
  );

describe('failed-match limits shared by replicas on one nats-server', () => {
  const set = useReplicaSet(
    'guard',
    groupYaml(
      'shared-codes',
      ['+18005554000', '+18005554001'],
      300,
      '  accessCode: { generate: true, length: 4 }',
    ) +
      groupYaml(
        'unique-codes',
        ['+18005554100', '+18005554101'],
        300,
        '  uniqueDnis: true\n  accessCode: { generate: true, length: 6 }',
      ) +
      groupYaml('counted', ['+18005554200'], 300, '  accessCode: { generate: true, length: 4 }'),
    [
      ...['--match-failures-per-number', String(FAILURES_PER_NUMBER), '--match-lockout-seconds', '60'],
      ...['--match-failures-per-request', String(FAILURES_PER_REQUEST)],
    ],
  );
  const kv = () => set.kv;
  const replicas = () => set.replicas;

  const replica = (i: number) => replicas()[i % replicas().length] as AllocatorProcess;

  it('locks a number for every replica once the failures of all replicas together reach the limit', async () => {
    const created = await replica(0).post('/v1/groups/shared-codes/requests', {});
    expect(created.status).toBe(201);
    const { number, accessCode } = created.body;
    const statuses: number[] = [];
    for (let i = 1; i <= FAILURES_PER_NUMBER * 3; i++) {
      const res = await replica(i).post('/v1/match', {
        dialledNumber: number,
        accessCode: wrongCode(accessCode, i),
      });
      statuses.push(res.status);
    }
    // A limit each replica counted alone would have let 3 × 6 guesses through.
    expect(statuses.filter((s) => s === 404)).toHaveLength(FAILURES_PER_NUMBER);
    expect(statuses.slice(FAILURES_PER_NUMBER).every((s) => s === 429)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const right = await replica(i).post('/v1/match', { dialledNumber: number, accessCode });
      expect([right.status, right.body.error.code, right.headers.get('retry-after')]).toEqual([
        429,
        'MATCH_LOCKED',
        expect.stringMatching(/^[1-6][0-9]?$/),
      ]);
    }
    // The other number of the group is not locked.
    const other = await replica(1).post('/v1/groups/shared-codes/requests', {});
    if (other.body.number !== number) {
      const m = await replica(2).post('/v1/match', {
        dialledNumber: other.body.number,
        accessCode: other.body.accessCode,
      });
      expect(m.status).toBe(200);
    }
  });

  it('counts every one of many concurrent failures from all replicas, losing none to races', async () => {
    const created = await replica(0).post('/v1/groups/counted/requests', {});
    const { number, accessCode } = created.body;
    const guesses = FAILURES_PER_NUMBER - 1;
    const results = await Promise.all(
      Array.from({ length: guesses }, (_, i) =>
        replica(i).post('/v1/match', { dialledNumber: number, accessCode: wrongCode(accessCode, i + 1) }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(guesses).fill(404));
    const entry = await kv().get(guardKey(number));
    expect(entry && decodeGuard(entry.value)).toMatchObject({ failures: guesses, lockouts: 0 });
    // One more, from any replica, reaches the limit.
    await replica(2).post('/v1/match', { dialledNumber: number, accessCode: wrongCode(accessCode, 99) });
    const after = await kv().get(guardKey(number));
    expect(after && decodeGuard(after.value)).toMatchObject({ lockouts: 1 });
    expect((await replica(1).post('/v1/match', { dialledNumber: number, accessCode })).status).toBe(429);
  });

  it('locks a request after wrong codes sent to different replicas', async () => {
    const created = await replica(0).post('/v1/groups/unique-codes/requests', {});
    const { number, accessCode, id } = created.body;
    for (let i = 0; i < FAILURES_PER_REQUEST; i++) {
      const res = await replica(i).post('/v1/match', {
        dialledNumber: number,
        accessCode: wrongCode(accessCode, i + 1),
      });
      expect(res.status).toBe(404);
    }
    const right = await replica(0).post('/v1/match', { dialledNumber: number, accessCode });
    expect([right.status, right.body.error.details.scope]).toEqual([429, 'request']);
    const entry = await kv().get(guardKey(number));
    expect(entry && decodeGuard(entry.value)?.requests[id]).toMatchObject({ failures: FAILURES_PER_REQUEST });
    const metrics = await Promise.all(
      replicas().map((r) => fetch(`${r.metricsUrl}/metrics`).then((m) => m.text())),
    );
    const lockouts = metrics
      .map((t) => Number(/^c2c_allocator_match_lockouts_total\{scope="request"\} (\d+)$/m.exec(t)?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    expect(lockouts).toBe(1);
  });
});
