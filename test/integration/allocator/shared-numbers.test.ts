import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { connectNats } from '../../harness/context.ts';
import type { AllocatorProcess, Json } from './allocator-process.ts';
import { groupYaml, tollFreeNumbers } from './group-yaml.ts';
import { useReplicaSet } from './replica-set.ts';

// Shared-number writes reach no other replica as they happen: each replica reads them from the
// records when a read needs them. Unique-DNIS writes reach every replica through its watch.
describe('replicas: a watch of the unique-DNIS keys, the records for the rest', () => {
  const set = useReplicaSet(
    'views',
    groupYaml('codes', tollFreeNumbers(2, 6100), 60, '  accessCode: { generate: true, length: 6 }') +
      groupYaml('callers', tollFreeNumbers(2, 6200), 60, '  accessCode: { generate: false }') +
      groupYaml(
        'desk',
        tollFreeNumbers(60, 6300),
        60,
        '  uniqueDnis: true\n  accessCode: { generate: false }',
      ),
  );
  const replicas = () => set.replicas as [AllocatorProcess, AllocatorProcess, AllocatorProcess];
  const liveGauge = async (replica: AllocatorProcess, group: string) => {
    const text = await (await fetch(`${replica.metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`c2c_allocator_live_requests{group="${group}"}`));
    return Number(line?.split(' ').pop() ?? 0);
  };

  it('delivers to the replicas only the unique-DNIS slot keys', async () => {
    const nc = await connectNats();
    try {
      const jsm = await jetstreamManager(nc);
      const filters: string[] = [];
      for await (const c of jsm.consumers.list(`KV_${set.bucket}`)) {
        const config = c.config;
        filters.push(...(config.filter_subjects ?? (config.filter_subject ? [config.filter_subject] : [])));
      }
      expect(filters).toEqual(set.replicas.map(() => `$KV.${set.bucket}.s.*.*.u`));
    } finally {
      await nc.close();
    }
  });

  it('finds, lists, counts and cancels a request through every other replica right after its create', async () => {
    const [a, b, c] = replicas();
    for (const group of ['codes', 'callers']) {
      for (const [creator, ...others] of [
        [a, b, c],
        [b, c, a],
        [c, a, b],
      ] as const) {
        const created = await creator.post(`/v1/groups/${group}/requests`, { callerNumber: '+14155550111' });
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        for (const other of others) {
          expect((await other.get(`/v1/requests/${id}`)).state, `${group} via ${other.url}`).toBe('live');
          const listed = await other.get(`/v1/groups/${group}/requests?id=${id}`);
          expect(listed.requests.map((r: Json) => r.id)).toEqual([id]);
          const groups = await other.get('/v1/groups');
          expect(groups.groups.find((g: Json) => g.groupName === group).liveRequests).toBe(1);
          expect(await liveGauge(other, group)).toBe(1);
        }
        const cancelled = await fetch(`${others[0].url}/v1/requests/${id}`, { method: 'DELETE' });
        expect(cancelled.status).toBe(200);
        for (const replica of [a, b, c]) {
          expect((await replica.get(`/v1/requests/${id}`)).state).toBe('cancelled');
          expect(await liveGauge(replica, group)).toBe(0);
        }
      }
    }
  });

  it('checks and matches by caller alone (no access code) a request another replica created a moment ago', async () => {
    const [a, b, c] = replicas();
    const callerNumber = '+14155550122';
    const created = await a.post('/v1/groups/codes/requests', { callerNumber });
    expect(created.status).toBe(201);
    const { number, id } = created.body as { number: string; id: string };
    // The answer the creator gives, from its own view, is the one every replica gives.
    const onCreator = await a.post('/v1/match/check', { dialledNumber: number, callerNumber });
    const elsewhere = await b.post('/v1/match/check', { dialledNumber: number, callerNumber });
    expect(onCreator.status).toBe(200);
    expect(elsewhere.body).toEqual(onCreator.body);
    expect(elsewhere.body.matchedBy).toContain('callerNumber');
    expect(elsewhere.body.consumable).toBe(true);
    const matched = await c.post('/v1/match', { dialledNumber: number, callerNumber });
    expect(matched.status).toBe(200);
    expect(matched.body.request.id).toBe(id);
    expect((await b.get(`/v1/requests/${id}`)).state).toBe('matched');
  });

  it('keeps every access code unique per number, and the records the same on every replica, under creates racing over the replicas', async () => {
    const [a, b, c] = replicas();
    const answers = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        [a, b, c][i % 3]!.post('/v1/groups/codes/requests', { callerNumber: `+1415555${String(1000 + i)}` }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 201));
    const slots = answers.map((r) => `${r.body.number}/${r.body.accessCode}`);
    expect(new Set(slots).size).toBe(slots.length);
    const ids = answers.map((r) => r.body.id as string).sort();
    for (const replica of [a, b, c]) {
      const listed = await replica.get('/v1/records?group=codes&state=live&limit=1000');
      expect(
        listed.records
          .map((r: Json) => r.request.id)
          .filter((x: string) => ids.includes(x))
          .sort(),
      ).toEqual(ids);
    }
  });

  it('hands every unique number to one live request under creates racing over the replicas, then refuses, and every replica tells the same', async () => {
    const [a, b, c] = replicas();
    const answers = await Promise.all(
      Array.from({ length: 75 }, (_, i) => [a, b, c][i % 3]!.post('/v1/groups/desk/requests', {})),
    );
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(60);
    expect(answers.filter((r) => r.status !== 201).map((r) => r.body.error?.code)).toEqual(
      Array.from({ length: 15 }, () => 'POOL_EXHAUSTED'),
    );
    expect(new Set(created.map((r) => r.body.number)).size).toBe(60);
    for (const replica of [a, b, c]) {
      const desk = (await replica.get('/v1/groups')).groups.find((g: Json) => g.groupName === 'desk');
      expect([desk.numbersInUse, desk.liveRequests]).toEqual([60, 60]);
    }
    // Cancelled through one replica, free for a create through another at once.
    const first = created[0]!.body as { id: string; number: string };
    expect((await fetch(`${a.url}/v1/requests/${first.id}`, { method: 'DELETE' })).status).toBe(200);
    const again = await c.post('/v1/groups/desk/requests', {});
    expect([again.status, again.body.number]).toEqual([201, first.number]);
  });
});
