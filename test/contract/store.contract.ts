import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreCode, type CoordinationStore, type StoreEvent } from '#allocator/store/index';

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

/**
 * The coordination store contract: every implementation passes it unchanged. Real time, short TTLs
 * (per-message TTL has one-second resolution).
 */
export function describeStoreContract(name: string, open: () => Promise<CoordinationStore>): void {
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

    it('watches: a snapshot of live entries, then puts and removals with their reasons', async () => {
      const p = `s.contract.watch${++n}.`;
      await store.create(`${p}before`, enc('b'), 30);
      const events: StoreEvent[] = [];
      const w = await store.watch(p, (e) => events.push(e));
      try {
        expect(events[0]).toMatchObject({ type: 'snapshot' });
        expect(events[0]?.type === 'snapshot' && events[0].entries.map((e) => e.key)).toEqual([`${p}before`]);
        const rev = await store.create(`${p}after`, enc('a'), 30);
        await store.remove(`${p}after`, rev, enc('because'));
        const removed = await until('the removal event', () =>
          events.find(
            (e): e is Extract<StoreEvent, { type: 'removed' }> =>
              e.type === 'removed' && e.key === `${p}after`,
          ),
        );
        expect(dec(removed.reason)).toBe('because');
        const put = events.find((e) => e.type === 'put' && e.key === `${p}after`);
        expect(put).toMatchObject({ revision: rev });
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
  });
}
