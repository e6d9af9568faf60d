import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeRecord, LiveView, slotKey, type CallInRequest } from '../domain/index.ts';
import { MemoryStore, type CoordinationStore } from '../store/index.ts';
import { RecordsFollower } from './records-follower.ts';

/** A request of group `g`, as another replica writes it: to the store, not to this view. */
function request(id: string, code: string, nowMs: number): CallInRequest {
  return {
    id,
    groupName: 'g',
    number: '+18005550001',
    uniqueDnis: false,
    accessCode: code,
    createdAtMs: nowMs,
    expiresAtMs: nowMs + 30_000,
    key: slotKey('g', '+18005550001', { kind: 'code', accessCode: code }),
  };
}

function setup() {
  const store = new MemoryStore();
  let replays = 0;
  const counted: CoordinationStore = new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'replayRecords') replays++;
      const v = Reflect.get(target, name, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const ended: string[] = [];
  const view = new LiveView({
    now: Date.now,
    historyMs: 60_000,
    historyMaxEntries: 100,
    onEnded: (r, outcome) => ended.push(`${r.id}:${outcome}`),
  });
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const follower = new RecordsFollower(counted, view, log);
  const write = (r: CallInRequest) => store.create(r.key, encodeRecord(r), 30);
  return { store, view, follower, ended, lines, write, replays: () => replays };
}

describe('RecordsFollower', () => {
  it('starts with the history period, then reads only what was recorded since', async () => {
    const { store, view, follower, ended, write } = setup();
    const before = request('before', '111111', Date.now());
    const rev = await write(before);
    await store.remove(
      before.key,
      rev,
      encodeRecord({ outcome: 'cancelled', id: 'before', atMs: Date.now(), request: before }),
    );
    await follower.start(Date.now() - 60_000);
    expect(view.historyOf('before')).toMatchObject({ outcome: 'cancelled' });
    // What happened before the start is history, not an end seen now.
    expect(ended).toEqual([]);
    const later = request('later', '222222', Date.now());
    const laterRev = await write(later);
    expect(view.keyOf('later')).toBeUndefined();
    expect(await follower.catchUp()).toBe(true);
    expect(view.keyOf('later')).toBe(later.key);
    await store.remove(
      later.key,
      laterRev,
      encodeRecord({ outcome: 'matched', id: 'later', atMs: Date.now(), request: later }),
    );
    expect(await follower.catchUp()).toBe(true);
    expect(view.historyOf('later')).toMatchObject({ outcome: 'matched' });
    expect(ended).toEqual(['later:matched']);
  });

  it('serves the calls that arrive during a catch-up with one more after it', async () => {
    const { follower, view, write, replays } = setup();
    await follower.start(0);
    const started = replays();
    const r = request('r', '333333', Date.now());
    const first = follower.catchUp();
    // Written after the first catch-up began: the calls made now must see it.
    await write(r);
    const waiting = Array.from({ length: 5 }, () => follower.catchUp());
    expect(await first).toBe(true);
    expect(await Promise.all(waiting)).toEqual([true, true, true, true, true]);
    expect(view.keyOf('r')).toBe(r.key);
    expect(replays() - started).toBe(2);
  });

  it('answers false while the records cannot be read, and logs that once', async () => {
    const { store, follower, lines } = setup();
    await follower.start(0);
    await store.close();
    expect(await follower.catchUp()).toBe(false);
    expect(await follower.catchUp()).toBe(false);
    expect(lines.filter((l) => l.msg.startsWith("the store's records could not be read"))).toHaveLength(1);
  });
});
