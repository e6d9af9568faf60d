import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StoreCode,
  type CoordinationStore,
  type RecordedChange,
  type RecordsRetention,
  type StoreEvent,
} from '#allocator/store/index';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function untilAsync<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A change as the tests compare it: the bytes it carries decoded. */
function readable(c: RecordedChange): Record<string, unknown> {
  if (c.type === 'put') return { type: c.type, key: c.key, revision: c.revision, value: dec(c.value) };
  if (c.type === 'removed') return { type: c.type, key: c.key, revision: c.revision, reason: dec(c.reason) };
  return { type: c.type, key: c.key, revision: c.revision };
}

/**
 * The coordination store contract: every implementation passes it unchanged. Real time, short TTLs
 * (per-message TTL has one-second resolution). `open` without retention opens the suite's store;
 * with a retention, a store of its own (for NATS: its own bucket and records stream).
 */
export function describeStoreContract(
  name: string,
  open: (records?: RecordsRetention) => Promise<CoordinationStore>,
): void {
  describe(`the ${name} coordination store`, () => {
    let store: CoordinationStore;
    let n = 0;
    const key = (what: string) => `s.contract.${what}${++n}`;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('creates a key only if absent, and returns its value and revision', async () => {
      const k = key('create');
      const rev = await store.create(k, enc('first'), 30);
      expect(rev).toBeGreaterThan(0);
      await expect(store.create(k, enc('second'), 30)).rejects.toMatchObject({ code: StoreCode.KeyExists });
      const got = await store.get(k);
      expect(got && dec(got.value)).toBe('first');
      expect(got?.revision).toBe(rev);
      expect(await store.get(key('absent'))).toBeNull();
    });

    it('lets exactly one of many concurrent creates of one key win', async () => {
      const k = key('race');
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => store.create(k, enc(`v${i}`), 30)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: StoreCode.KeyExists });
    });

    it('removes by compare-and-set: a stale revision conflicts, and one of two racing removals wins', async () => {
      const k = key('cas');
      const rev = await store.create(k, enc('v'), 30);
      await expect(store.remove(k, rev + 1000, enc('x'))).rejects.toMatchObject({ code: StoreCode.Conflict });
      const results = await Promise.allSettled([
        store.remove(k, rev, enc('a')),
        store.remove(k, rev, enc('b')),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected')[0]).toMatchObject({
        reason: { code: StoreCode.Conflict },
      });
      expect(await store.get(k)).toBeNull();
      await expect(store.remove(k, rev, enc('c'))).rejects.toMatchObject({ code: StoreCode.Conflict });
    });

    it('replaces by compare-and-set with a new TTL: one of two racing replaces wins, a stale one conflicts', async () => {
      const k = key('replace');
      const rev = await store.create(k, enc('v1'), 30);
      await expect(store.replace(k, enc('x'), rev + 1000, 30)).rejects.toMatchObject({
        code: StoreCode.Conflict,
      });
      const results = await Promise.allSettled([
        store.replace(k, enc('a'), rev, 30),
        store.replace(k, enc('b'), rev, 30),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const got = await store.get(k);
      expect(got?.revision).toBe((won[0] as PromiseFulfilledResult<number>).value);
      expect(['a', 'b']).toContain(dec(got?.value ?? enc('')));
      await expect(store.replace(k, enc('c'), rev, 30)).rejects.toMatchObject({ code: StoreCode.Conflict });
      await expect(store.replace(key('absent'), enc('c'), 1, 30)).rejects.toMatchObject({
        code: StoreCode.Conflict,
      });

      // The replaced value carries the new TTL: it expires, and the key can be created again.
      const short = key('replace-ttl');
      const r1 = await store.create(short, enc('long'), 60);
      await store.replace(short, enc('short'), r1, 1);
      const deadline = Date.now() + 15_000;
      while ((await store.get(short)) !== null && Date.now() < deadline) await sleep(100);
      expect(await store.get(short)).toBeNull();
      await expect(store.create(short, enc('again'), 30)).resolves.toBeGreaterThan(0);
    });

    it('can create a key again once it was removed', async () => {
      const k = key('again');
      const rev = await store.create(k, enc('one'), 30);
      await store.remove(k, rev, enc('done'));
      const rev2 = await store.create(k, enc('two'), 30);
      expect(rev2).toBeGreaterThan(rev);
      expect(dec((await store.get(k))?.value ?? enc(''))).toBe('two');
    });

    it('lists the live entries under a prefix', async () => {
      const p = `s.contract.list${++n}.`;
      await store.create(`${p}a`, enc('a'), 30);
      const rb = await store.create(`${p}b`, enc('b'), 30);
      await store.create(`${p}c`, enc('c'), 30);
      await store.remove(`${p}b`, rb, enc('gone'));
      const listed = (await store.list(p)).map((e) => e.key).sort();
      expect(listed).toEqual([`${p}a`, `${p}c`]);
    });

    it('lists and watches only the keys a pattern of tokens matches', async () => {
      const p = `s.contract.pattern${++n}`;
      const filter = `${p}.*.u`;
      await store.create(`${p}.a.u`, enc('a'), 30);
      await store.create(`${p}.a.c1`, enc('not u'), 30);
      await store.create(`${p}.a.b.u`, enc('a token too many'), 30);
      expect((await store.list(filter)).map((e) => e.key)).toEqual([`${p}.a.u`]);
      const events: StoreEvent[] = [];
      const w = await store.watch(filter, (e) => events.push(e));
      try {
        expect(events[0]?.type === 'snapshot' && events[0].entries.map((e) => e.key)).toEqual([`${p}.a.u`]);
        await store.create(`${p}.b.c2`, enc('not u'), 30);
        const last = await store.create(`${p}.b.u`, enc('b'), 30);
        await until('the put of the matching key', () =>
          events.find((e) => e.type === 'put' && e.revision === last),
        );
        expect(events.flatMap((e) => (e.type === 'snapshot' ? [] : [e.key]))).toEqual([`${p}.b.u`]);
      } finally {
        await w.stop();
      }
    });

    it('watches: a snapshot of live entries, then puts and removals with their reasons', async () => {
      const p = `s.contract.watch${++n}.`;
      await store.create(`${p}before`, enc('b'), 30);
      const events: StoreEvent[] = [];
      const w = await store.watch(p, (e) => events.push(e));
      try {
        expect(events[0]).toMatchObject({ type: 'snapshot' });
        expect(events[0]?.type === 'snapshot' && events[0].entries.map((e) => e.key)).toEqual([`${p}before`]);
        const rev = await store.create(`${p}after`, enc('a'), 30);
        // A put removed before the watch read it may never be delivered (NATS: the removal's purge
        // deletes it from the stream; the removal then carries what a reader needs), so the put is
        // awaited before the removal is written.
        const put = await until('the put event', () =>
          events.find((e) => e.type === 'put' && e.key === `${p}after`),
        );
        expect(put).toMatchObject({ revision: rev });
        expect(put.type === 'put' && dec(put.value)).toBe('a');
        await store.remove(`${p}after`, rev, enc('because'));
        const removed = await until('the removal event', () =>
          events.find(
            (e): e is Extract<StoreEvent, { type: 'removed' }> =>
              e.type === 'removed' && e.key === `${p}after`,
          ),
        );
        expect(dec(removed.reason)).toBe('because');
        expect(removed.revision).toBeGreaterThan(rev);
      } finally {
        await w.stop();
      }
    });

    it('skips only the events the watcher says it already has', async () => {
      const p = `s.contract.known${++n}.`;
      const events: StoreEvent[] = [];
      const w = await store.watch(p, (e) => events.push(e), {
        isKnown: (key) => key.endsWith('.mine'),
      });
      try {
        const mine = await store.create(`${p}mine`, enc('m'), 30);
        await store.create(`${p}theirs`, enc('t'), 30);
        await store.remove(`${p}mine`, mine, enc('done'));
        // Written after everything else: once it arrives, the watch has passed the rest.
        const last = await store.create(`${p}last`, enc('l'), 30);
        await until('the put of the last key', () =>
          events.find((e) => e.type === 'put' && e.key === `${p}last` && e.revision === last),
        );
        expect(events.some((e) => e.type === 'put' && e.key === `${p}theirs`)).toBe(true);
        expect(events.filter((e) => e.type !== 'snapshot' && e.key === `${p}mine`)).toEqual([]);
      } finally {
        await w.stop();
      }
    });

    it('expires a key after its TTL, tells watchers, and lets it be created again', async () => {
      const p = `s.contract.ttl${++n}.`;
      const events: StoreEvent[] = [];
      const w = await store.watch(p, (e) => events.push(e));
      try {
        await store.create(`${p}k`, enc('short'), 1);
        await store.create(`${p}long`, enc('long'), 60);
        await until('the expiry event', () => events.find((e) => e.type === 'expired' && e.key === `${p}k`));
        expect(await store.get(`${p}k`)).toBeNull();
        expect(await store.get(`${p}long`)).not.toBeNull();
        await expect(store.create(`${p}k`, enc('again'), 1)).resolves.toBeGreaterThan(0);
        expect(events.some((e) => e.type === 'expired' && e.key === `${p}long`)).toBe(false);
      } finally {
        await w.stop();
      }
    });

    describe('records', () => {
      // A store of its own: no change here comes from another test's keys.
      let records: CoordinationStore;
      const retention: RecordsRetention = { prefix: 's.', maxAgeMs: 3_600_000, maxChanges: 1_000 };
      beforeAll(async () => {
        records = await open(retention);
      });
      afterAll(async () => {
        await records?.close();
      });
      const replayed = async (under: string, sinceMs = 0, from = records) => {
        const out: RecordedChange[] = [];
        await from.replayRecords({ sinceMs }, (c) => {
          if (c.key.startsWith(under)) out.push(c);
        });
        return out;
      };

      it('replays puts, removals with their reasons and expiries, oldest first, at the revisions written', async () => {
        const p = `s.contract.records${++n}.`;
        const startMs = Date.now();
        // A replay right after a write has it (and the NATS records stream has sourced it, so that
        // the next write to the key, which drops it from the bucket, cannot make it be missed).
        const a1 = await records.create(`${p}a`, enc('a1'), 30);
        const putA1 = { type: 'put', key: `${p}a`, revision: a1, value: 'a1' };
        expect((await replayed(p)).map(readable)).toEqual([putA1]);
        const b = await records.create(`${p}b`, enc('b'), 1);
        const putB = { type: 'put', key: `${p}b`, revision: b, value: 'b' };
        expect((await replayed(p)).map(readable)).toEqual([putA1, putB]);
        const a2 = await records.replace(`${p}a`, enc('a2'), a1, 30);
        const putA2 = { type: 'put', key: `${p}a`, revision: a2, value: 'a2' };
        expect((await replayed(p)).map(readable)).toEqual([putA1, putB, putA2]);
        const removed = await records.remove(`${p}a`, a2, enc('because'));
        const all = await untilAsync('the expiry in the records', async () => {
          const changes = await replayed(p);
          return changes.some((c) => c.type === 'expired') && changes;
        });
        const expired = all.at(-1);
        expect(expired?.type).toBe('expired');
        expect(all.map(readable)).toEqual([
          putA1,
          putB,
          putA2,
          { type: 'removed', key: `${p}a`, revision: removed, reason: 'because' },
          { type: 'expired', key: `${p}b`, revision: expired?.revision },
        ]);
        expect(expired?.revision).toBeGreaterThan(removed);
        const times = all.map((c) => c.atMs);
        expect(times).toEqual([...times].sort((x, y) => x - y));
        expect(times[0]).toBeGreaterThanOrEqual(startMs - 1_000);
        expect(times.at(-1)).toBeLessThanOrEqual(Date.now() + 1_000);
        // The expiry is dated when it happened, a second or more after the key was written.
        expect((expired?.atMs ?? 0) - (all[1]?.atMs ?? 0)).toBeGreaterThanOrEqual(900);
      });

      it('replays only the changes recorded since the time asked', async () => {
        const p = `s.contract.since${++n}.`;
        await records.create(`${p}early`, enc('e'), 30);
        const [early] = await replayed(p);
        await sleep(50);
        await records.create(`${p}late`, enc('l'), 30);
        const [, late] = await replayed(p);
        expect(late && early && late.atMs > early.atMs).toBe(true);
        expect((await replayed(p, late?.atMs)).map((c) => c.key)).toEqual([`${p}late`]);
        expect((await replayed(p, early?.atMs)).map((c) => c.key)).toEqual([`${p}early`, `${p}late`]);
        expect(await replayed(p, Date.now() + 60_000)).toEqual([]);
      });

      it('keeps at most the retention count of changes, dropping the oldest', async () => {
        const small = await open({ ...retention, maxChanges: 3 });
        try {
          const p = 's.contract.count.';
          const revisions: number[] = [];
          for (let i = 0; i < 5; i++) revisions.push(await small.create(`${p}k${i}`, enc(`v${i}`), 30));
          await small.create('g.contract.count', enc('outside the prefix'), 30);
          expect((await replayed('', 0, small)).map((c) => c.revision)).toEqual(revisions.slice(2));
        } finally {
          await small.close();
        }
      });

      it('replays after a position only what was recorded later, and returns where it ended', async () => {
        const p = `s.contract.after${++n}.`;
        const ignore = () => undefined;
        const start = await records.replayRecords({ sinceMs: Date.now() + 60_000 }, ignore);
        // Nothing since then: the position is the records' latest, so the next replay starts there.
        expect(await records.replayRecords({ after: start }, ignore)).toBe(start);
        const r1 = await records.create(`${p}a`, enc('a'), 30);
        await records.create(`g.contract.after${n}`, enc('outside the records prefix'), 30);
        const seen: RecordedChange[] = [];
        const afterFirst = await records.replayRecords({ after: start }, (c) => seen.push(c));
        expect(seen.map((c) => [c.key, c.revision])).toEqual([[`${p}a`, r1]]);
        expect(afterFirst).toBeGreaterThan(start);
        expect(await records.replayRecords({ after: afterFirst }, (c) => seen.push(c))).toBe(afterFirst);
        expect(seen).toHaveLength(1);
        // Each write replayed before the next (a put replaced at once may be missing, see the contract).
        const r2 = await records.replace(`${p}a`, enc('a2'), r1, 30);
        const later: RecordedChange[] = [];
        const afterSecond = await records.replayRecords({ after: afterFirst }, (c) => later.push(c));
        const removed = await records.remove(`${p}a`, r2, enc('done'));
        const afterThird = await records.replayRecords({ after: afterSecond }, (c) => later.push(c));
        expect(later.map((c) => [c.type, c.revision])).toEqual([
          ['put', r2],
          ['removed', removed],
        ]);
        expect(afterThird).toBeGreaterThan(afterSecond);
        expect(afterSecond).toBeGreaterThan(afterFirst);
        // From the time of the first write: the same changes as the positions gave, in order.
        const since = await replayed(p, seen[0]?.atMs);
        expect(since.map((c) => c.revision)).toEqual([r1, r2, removed]);
      });
    });
  });
}
