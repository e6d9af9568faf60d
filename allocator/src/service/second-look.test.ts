import type { ResolvedGroup } from '#api';
import { describe, expect, it } from 'vitest';
import { group, setup, storeWith, type AppHarness } from '../testing/app-harness.ts';
import type { CoordinationStore, MemoryStore, StoreEvent, StoreWatch, WatchOptions } from '../store/index.ts';

/**
 * The store as a replica whose watch lags behind sees it: after the snapshot, the watch's events
 * wait until `release()`. Its records (what a catch-up reads) are the store's own, up to date.
 */
function withLaggingWatch(store: MemoryStore): { seenAs: CoordinationStore; release: () => void } {
  const held: (() => void)[] = [];
  const watch = (filter: string, onEvent: (e: StoreEvent) => void, options?: WatchOptions) => {
    let snapshotTaken = false;
    return store.watch(
      filter,
      (event) => {
        if (snapshotTaken) held.push(() => onEvent(event));
        else onEvent(event);
        snapshotTaken = true;
      },
      options,
    ) as Promise<StoreWatch>;
  };
  const seenAs = storeWith(store, { watch });
  return { seenAs, release: () => held.splice(0).forEach((deliver) => deliver()) };
}

const create = async (on: AppHarness, groupName: string, body: object = {}) => {
  const res = await on.app.inject({ method: 'POST', url: `/v1/groups/${groupName}/requests`, payload: body });
  return {
    status: res.statusCode,
    body: res.json() as { id: string; number: string; error?: { code: string } },
  };
};

/** Two replicas on one store; the second one's watch has not delivered the first one's writes yet. */
async function twoReplicas(g: ResolvedGroup) {
  const first = await setup({ groups: [g] });
  let lagging: ReturnType<typeof withLaggingWatch> | undefined;
  const second = await setup({
    groups: [g],
    shareWith: first,
    storeSeenAs: (store) => (lagging = withLaggingWatch(store)).seenAs,
  });
  return { first, second, release: () => lagging?.release() };
}

// A unique pool that looks full to a replica may hold a number another replica freed a moment ago:
// the replica reads the records and looks once more before it refuses.
describe('a create that finds no free number looks once more after reading the records', () => {
  it('hands out a number freed through another replica instead of POOL_EXHAUSTED', async () => {
    const { first, second } = await twoReplicas(group('desk', { uniqueDnis: true }, 2));
    const held = [await create(second, 'desk'), await create(second, 'desk')];
    expect(held.map((r) => r.status)).toEqual([201, 201]);
    const cancelled = await first.app.inject({ method: 'DELETE', url: `/v1/requests/${held[0]?.body.id}` });
    expect(cancelled.statusCode).toBe(200);
    // The second replica's watch has not told it: only the records do.
    expect(second.view.isNumberBusy('desk', held[0]?.body.number ?? '')).toBe(true);
    const again = await create(second, 'desk');
    expect([again.status, again.body.number]).toEqual([201, held[0]?.body.number]);
  });

  it('hands out a number of the caller’s area freed through another replica instead of NO_LOCAL_NUMBER', async () => {
    const sf = ['+14155550200', '+14155550201'];
    const near = group('near', {
      uniqueDnis: true,
      localPresence: { match: 'require', level: 'area' },
      dnisPool: [...sf, '+12125550200'].map((number) => ({ number })),
    });
    const { first, second, release } = await twoReplicas(near);
    const caller = (i: number) => ({ callerNumber: `+1415555${String(7000 + i)}` });
    const held = [await create(second, 'near', caller(0)), await create(second, 'near', caller(1))];
    expect(held.map((r) => r.body.number).sort()).toEqual(sf);
    const full = await create(second, 'near', caller(2));
    expect([full.status, full.body.error?.code]).toEqual([409, 'NO_LOCAL_NUMBER']);
    const cancelled = await first.app.inject({ method: 'DELETE', url: `/v1/requests/${held[1]?.body.id}` });
    expect(cancelled.statusCode).toBe(200);
    const again = await create(second, 'near', caller(3));
    expect([again.status, again.body.number]).toEqual([201, held[1]?.body.number]);
    // Once its watch delivers what it held, the replica's view agrees with what it read.
    release();
    expect(second.view.busyCount('near')).toBe(2);
  });
});
