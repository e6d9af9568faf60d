import { describe, expect, it } from 'vitest';
import { eventually } from '../../harness/context.ts';
import type { AllocatorProcess, Json } from './allocator-process.ts';
import { groupYaml, tollFreeNumbers } from './group-yaml.ts';
import { useReplicaSet } from './replica-set.ts';

const EXPIRY_SECONDS = 10;

const status = async (replica: AllocatorProcess, method: string, route: string) =>
  (await fetch(`${replica.url}${route}`, { method })).status;

/** Every record a replica answers, page after page. */
async function allRecords(replica: AllocatorProcess, query = ''): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await replica.get(`/v1/records?limit=50${query}${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.records);
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
}

describe('call-in records across replicas', () => {
  const set = useReplicaSet(
    'records',
    groupYaml(
      'desk',
      tollFreeNumbers(200, 4000),
      EXPIRY_SECONDS,
      '  uniqueDnis: true\n  accessCode: { generate: false }',
    ) +
      groupYaml(
        'codes',
        tollFreeNumbers(3, 5000),
        EXPIRY_SECONDS,
        '  uniqueDnis: false\n  accessCode: { generate: true, length: 6 }',
      ),
  );

  it('finds a request by id, and cancels it, through any replica right after the create', async () => {
    const [a, b, c] = set.replicas as [AllocatorProcess, AllocatorProcess, AllocatorProcess];
    const misses: string[] = [];
    for (let i = 0; i < 60; i++) {
      const [creator, ...others] = [
        [a, b, c],
        [b, c, a],
        [c, a, b],
      ][i % 3] as [AllocatorProcess, AllocatorProcess, AllocatorProcess];
      const created = await creator.post('/v1/groups/desk/requests', {});
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const reads = await Promise.all(others.map((r) => status(r, 'GET', `/v1/requests/${id}`)));
      if (reads.some((s) => s !== 200)) misses.push(`read ${id}: ${reads.join(',')}`);
      const cancelled = await status(others[i % 2] as AllocatorProcess, 'DELETE', `/v1/requests/${id}`);
      if (cancelled !== 200) misses.push(`cancel ${id}: ${cancelled}`);
      const ended = await Promise.all([a, b, c].map((r) => r.get(`/v1/requests/${id}`)));
      if (ended.some((e) => e.state !== 'cancelled'))
        misses.push(`ended ${id}: ${ended.map((e) => e.state)}`);
    }
    expect(misses).toEqual([]);
  });

  it('answers the same records on every replica, and on replicas started later', async () => {
    const [a, b, c] = set.replicas as [AllocatorProcess, AllocatorProcess, AllocatorProcess];
    const created: Json[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await [a, b, c][i % 3]!.post('/v1/groups/codes/requests', { callerNumber: '+14155550100' });
      expect(r.status).toBe(201);
      created.push(r.body);
    }
    // Match a third through another replica than the creator, cancel a third, let the rest expire.
    for (const [i, r] of created.entries()) {
      const through = [b, c, a][i % 3]!;
      if (i % 3 === 0) {
        const m = await through.post('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode });
        expect(m.status).toBe(200);
      } else if (i % 3 === 1) {
        expect(await status(through, 'DELETE', `/v1/requests/${r.id}`)).toBe(200);
      }
    }
    const states = (records: Json[]) => records.map((x) => `${x.request.id}:${x.state}`);
    await eventually(
      'the third neither matched nor cancelled expires',
      async () => (await allRecords(a, '&group=codes&state=expired')).length === 8,
      (EXPIRY_SECONDS + 15) * 1000,
    );

    const reference = await allRecords(a);
    expect(reference.filter((x) => x.request.groupName === 'codes')).toHaveLength(24);
    for (const replica of [b, c]) expect(await allRecords(replica)).toEqual(reference);
    expect(states(await allRecords(b, '&group=codes&state=matched'))).toHaveLength(8);

    // A replica that starts now replays the records: it did not see any of this happen.
    const late = await set.startReplica('late');
    expect(await allRecords(late)).toEqual(reference);
    // And a replica that restarts keeps them.
    await c.stop();
    const restarted = await set.startReplica('restarted');
    expect(await allRecords(restarted)).toEqual(reference);
  });
});
