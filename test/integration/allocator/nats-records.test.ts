import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#lib';
import { NatsStore, type RecordedChange, type RecordsRetention } from '#allocator/store/index';
import { recordsStreamOf } from '#allocator/store/nats/records';
import { connectNats, eventually, harness, uniqueName } from '../../harness/context.ts';

const log = createLogger('nats-records', { level: 'warn' });
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Every record a store replays, with the bytes it carries decoded. */
async function replayed(store: NatsStore, sinceMs = 0): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await store.replayRecords({ sinceMs }, (c: RecordedChange) => {
    const { atMs, revision, key, type } = c;
    if (c.type === 'put') out.push({ type, key, revision, atMs, value: dec(c.value) });
    else if (c.type === 'removed') out.push({ type, key, revision, atMs, reason: dec(c.reason) });
    else out.push({ type, key, revision, atMs });
  });
  return out;
}

// The records stream, as replicas meet it: kept when they stop and start, read alike by all of them,
// created and updated to the retention they are given.
describe('the NATS store records', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const buckets: string[] = [];
  const open = (bucket: string, records?: RecordsRetention) =>
    NatsStore.open({
      url: harness().natsUrl,
      bucket,
      markerTtlMs: 1000,
      ...(records ? { records } : {}),
      log,
    });
  const newBucket = () => {
    const bucket = uniqueName('records');
    buckets.push(bucket);
    return bucket;
  };

  beforeAll(async () => {
    nc = await connectNats('nats-records');
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    for (const bucket of buckets) {
      await jsm?.streams.delete(recordsStreamOf(bucket)).catch(() => undefined);
      await jsm?.streams.delete(`KV_${bucket}`).catch(() => undefined);
    }
    await nc?.close();
  });

  it('keeps the records when the store closes, for the next store on the bucket (a replica restart)', async () => {
    const bucket = newBucket();
    const first = await open(bucket);
    let before: Record<string, unknown>[];
    try {
      const rev = await first.create('s.g.a', enc('a'), 30);
      await first.create('s.g.b', enc('b'), 30);
      // Once a replay has them, the puts are in the records: removing one cannot drop it.
      expect((await replayed(first)).length).toBe(2);
      await first.remove('s.g.a', rev, enc('matched'));
      before = await replayed(first);
      expect(before.map((r) => r.type)).toEqual(['put', 'put', 'removed']);
    } finally {
      await first.close();
    }
    const next = await open(bucket);
    try {
      expect(await replayed(next)).toEqual(before);
    } finally {
      await next.close();
    }
  });

  it('replays the same records on every store of the bucket, written by any of them', async () => {
    const bucket = newBucket();
    const a = await open(bucket);
    const b = await open(bucket);
    try {
      const ra = await a.create('s.g.from-a', enc('a'), 30);
      const rb = await b.create('s.g.from-b', enc('b'), 30);
      expect((await replayed(a)).length).toBe(2);
      const removed = await a.remove('s.g.from-b', rb, enc('cancelled'));
      // A replay on the other store right after the write has it.
      const onB = await replayed(b);
      expect(onB.map((r) => [r.type, r.key, r.revision])).toEqual([
        ['put', 's.g.from-a', ra],
        ['put', 's.g.from-b', rb],
        ['removed', 's.g.from-b', removed],
      ]);
      expect(await replayed(a)).toEqual(onB);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('replays on another store each write made a moment ago, after the position of its last replay (a read by id on any replica)', async () => {
    const bucket = newBucket();
    const writer = await open(bucket);
    const reader = await open(bucket);
    try {
      await writer.create('s.g.first', enc('first'), 30);
      let position = await reader.replayRecords({ sinceMs: 0 }, () => undefined);
      const consumers = async () => {
        const names: string[] = [];
        for await (const c of jsm.consumers.list(recordsStreamOf(bucket))) names.push(c.name);
        return names;
      };
      // One consumer, kept from read to read while each goes on where the last one ended.
      const kept = await consumers();
      expect(kept).toHaveLength(1);
      for (let i = 0; i < 20; i++) {
        const rev = await writer.create(`s.g.k${i}`, enc(`v${i}`), 30);
        const seen: RecordedChange[] = [];
        position = await reader.replayRecords({ after: position }, (c) => seen.push(c));
        expect(seen.map((c) => [c.key, c.revision])).toEqual([[`s.g.k${i}`, rev]]);
      }
      expect(await consumers()).toEqual(kept);
      // A replay from elsewhere gets a consumer of its own, and the kept one is freed.
      await reader.replayRecords({ sinceMs: 0 }, () => undefined);
      const after = await consumers();
      expect(after).toHaveLength(1);
      expect(after).not.toEqual(kept);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('replays at once a write made a moment ago when a key outside the records was written after it', async () => {
    const bucket = newBucket();
    const warnings: string[] = [];
    const reader = await NatsStore.open({
      url: harness().natsUrl,
      bucket,
      markerTtlMs: 1000,
      log: createLogger('nats-records-guard', {
        level: 'warn',
        hooks: {
          logMethod(args, method) {
            warnings.push(args.map(String).join(' '));
            method.apply(this, args);
          },
        },
      }),
    });
    const writer = await open(bucket);
    try {
      const position = await reader.replayRecords({ sinceMs: 0 }, () => undefined);
      const rev = await writer.create('s.g.request', enc('request'), 30);
      // The match guard's keys live in the bucket too; the records never hold them.
      await writer.create('m.guard', enc('guard'), 30);
      const seen: RecordedChange[] = [];
      await reader.replayRecords({ after: position }, (c) => seen.push(c));
      expect(seen.map((c) => [c.key, c.revision])).toEqual([['s.g.request', rev]]);
      // Caught up on the latest record, not kept waiting for one the records will never hold.
      expect(warnings).toEqual([]);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('creates the records stream with the retention, and updates it when reopened with another', async () => {
    const bucket = newBucket();
    const retention = { prefix: 's.', maxAgeMs: 120_000, maxChanges: 500 };
    const first = await open(bucket, retention);
    const name = recordsStreamOf(bucket);
    try {
      await first.create('s.g.kept', enc('kept'), 30);
      expect((await replayed(first)).length).toBe(1);
    } finally {
      await first.close();
    }
    const created = (await jsm.streams.info(name)).config;
    expect(created.subjects ?? []).toEqual([]);
    expect(created).toMatchObject({
      sources: [{ name: `KV_${bucket}`, filter_subject: `$KV.${bucket}.s.>` }],
      max_age: 120_000 * 1_000_000,
      max_msgs: 500,
      discard: 'old',
      storage: 'file',
      num_replicas: 1,
    });
    // Not taken for a bucket by KV clients.
    const listed: string[] = [];
    for await (const status of new Kvm(nc).list()) listed.push(status.bucket);
    expect(listed).toContain(bucket);
    expect(listed.some((b) => b.includes(name))).toBe(false);

    const again = await open(bucket, { prefix: 's.', maxAgeMs: 60_000, maxChanges: 100 });
    try {
      const updated = (await jsm.streams.info(name)).config;
      expect(updated).toMatchObject({ max_age: 60_000 * 1_000_000, max_msgs: 100 });
      expect(updated.sources).toEqual(created.sources);
      // Updated, never recreated: the records are still there.
      expect((await replayed(again)).map((r) => r.key)).toEqual(['s.g.kept']);
    } finally {
      await again.close();
    }
  });

  it('opens on a fresh bucket from two stores at once, whatever retention each asks for', async () => {
    const bucket = newBucket();
    const [a, b] = await Promise.all([
      open(bucket, { prefix: 's.', maxAgeMs: 60_000, maxChanges: 100 }),
      open(bucket, { prefix: 's.', maxAgeMs: 120_000, maxChanges: 200 }),
    ]);
    try {
      const { max_msgs } = (await jsm.streams.info(recordsStreamOf(bucket))).config;
      expect([100, 200]).toContain(max_msgs);
      const rev = await a.create('s.g.k', enc('v'), 30);
      expect((await replayed(b)).map((r) => r.revision)).toEqual([rev]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('replays more records than one fetch brings, in order', async () => {
    const bucket = newBucket();
    const store = await open(bucket);
    try {
      const revisions: number[] = [];
      for (let chunk = 0; chunk < 10; chunk++) {
        const keys = Array.from({ length: 250 }, (_, i) => `s.g.many${chunk * 250 + i}`);
        revisions.push(...(await Promise.all(keys.map((k) => store.create(k, enc('v'), 30)))));
      }
      const all = await replayed(store);
      expect(all.map((r) => r.revision)).toEqual([...revisions].sort((x, y) => x - y));
      const from = all[2_000]?.atMs as number;
      const since = await replayed(store, from);
      expect(since.length).toBeGreaterThanOrEqual(500);
      expect(since.every((r) => (r.atMs as number) >= from)).toBe(true);
      expect(since.at(-1)).toEqual(all.at(-1));
    } finally {
      await store.close();
    }
  });

  it('records the removal of a put removed in the same turn it was acknowledged', async () => {
    const bucket = newBucket();
    const store = await open(bucket);
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `s.g.fast${i}`);
      const removals = await Promise.all(
        keys.map(async (key) => {
          const rev = await store.create(key, enc('short-lived'), 30);
          return store.remove(key, rev, enc(`removed ${key}`));
        }),
      );
      const records = await eventually('every removal in the records', async () => {
        const all = await replayed(store);
        return all.filter((r) => r.type === 'removed').length === keys.length && all;
      });
      for (const [i, key] of keys.entries()) {
        const ofKey = records.filter((r) => r.key === key);
        expect(ofKey.at(-1)).toMatchObject({
          type: 'removed',
          revision: removals[i],
          reason: `removed ${key}`,
        });
        // The put may be gone from the bucket before the server copied it; if copied, it comes first.
        expect(ofKey.slice(0, -1).map((r) => r.type)).toEqual(ofKey.length === 2 ? ['put'] : []);
      }
    } finally {
      await store.close();
    }
  });
});
