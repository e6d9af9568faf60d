import { describe, expect, it } from 'vitest';
import { encodeRecord, type CallInRequest } from './call-in-request.ts';
import { slotKey } from './keys.ts';
import { historyEvents } from './live-view.ts';
import { uniqueRequest, viewFixture } from '../testing/live-view-fixtures.ts';

const setup = (options: { historyMs?: number; historyMaxEntries?: number } = {}) =>
  viewFixture({ ...options, synced: true });
const request = uniqueRequest;

const removal = (id: string, atMs: number) => encodeRecord({ outcome: 'matched', id, atMs });

describe('LiveView', () => {
  it('tells when a number, a caller on it, or the numbers a filter accepts next free up', () => {
    const { view, now, advance } = setup();
    view.applyCreated(request('a', '+18005550001', now(), { expiresAtMs: now() + 20_000 }), 1);
    view.applyCreated(
      request('b', '+18005550002', now(), {
        uniqueDnis: false,
        callerNumber: '+14155550123',
        key: slotKey('g', '+18005550002', { kind: 'caller', callerNumber: '+14155550123' }),
      }),
      2,
    );
    expect(view.nextExpiryOnNumberInMs('g', '+18005550001')).toBe(20_000);
    expect(view.nextExpiryOnNumberInMs('g', '+18005550002', '+14155550123')).toBe(30_000);
    expect(view.nextExpiryOnNumberInMs('g', '+18005550002', '+14155550999')).toBeUndefined();
    expect(view.nextExpiryOnNumberInMs('g', '+18005550003')).toBeUndefined();
    expect(view.nextExpiryOnNumberInMs('other', '+18005550001')).toBeUndefined();
    expect(view.nextExpiryInMs('g')).toBe(20_000);
    expect(view.nextExpiryInMs('g', (n) => n !== '+18005550001')).toBe(30_000);
    expect(view.nextExpiryInMs('g', () => false)).toBeUndefined();
    advance(20_000);
    expect(view.nextExpiryOnNumberInMs('g', '+18005550001')).toBeUndefined();
  });

  it('skips the watch echo of a write it applied itself, before and after the request ended', () => {
    const { view, now, ended } = setup();
    const r = request('a', '+18005550001', now());
    view.applyCreated(r, 10);
    expect(view.knows(r.key, 10)).toBe(true);
    expect(view.knows(r.key, 11)).toBe(false);
    view.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 10 });
    expect(view.liveRequests('g')).toHaveLength(1);

    view.apply({ type: 'removed', key: r.key, revision: 11, reason: removal('a', now()) });
    expect(ended).toEqual(['a:matched']);
    // A late copy of the create must not bring the request back.
    view.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 10 });
    expect(view.liveRequests('g')).toEqual([]);
    expect(view.isNumberBusy('g', '+18005550001')).toBe(false);
    // The same key written again later is a new request.
    const again = request('b', '+18005550001', now());
    view.apply({ type: 'put', key: again.key, value: encodeRecord(again), revision: 12 });
    expect(view.liveRequests('g').map((x) => x.id)).toEqual(['b']);
  });

  it('never keeps userData, whether the request came from this replica or the watch', () => {
    const { view, now } = setup();
    const r = request('a', '+18005550001', now(), { userData: { big: 'x'.repeat(100) } });
    view.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 1 });
    expect(view.liveRequests('g')[0]).not.toHaveProperty('userData');
    expect(view.historyOf('a')?.request).not.toHaveProperty('userData');
  });

  it('indexes by group, number, id and caller, and forgets ended requests in every index', () => {
    const { view, now } = setup();
    const shared = (id: string, code: string, caller: string): CallInRequest => ({
      ...request(id, '+18005550002', now()),
      uniqueDnis: false,
      accessCode: code,
      callerNumber: caller,
      key: slotKey('g', '+18005550002', { kind: 'code', accessCode: code }),
    });
    const a = shared('a', '111111', '+14155550001');
    const b = shared('b', '222222', '+14155550002');
    view.applyCreated(a, 1);
    view.applyCreated(b, 2);
    expect(view.busyCount('g')).toBe(1);
    expect(view.onNumber('+18005550002').map((x) => x.request.id)).toEqual(['a', 'b']);
    expect(view.callerHolds('g', '+18005550002', '+14155550002')).toBe(true);
    expect(view.keyOf('b')).toBe(b.key);
    expect(view.liveCounts()).toEqual(new Map([['g', 2]]));

    view.apply({ type: 'expired', key: b.key, revision: 3 });
    expect(view.keyOf('b')).toBeUndefined();
    expect(view.callerHolds('g', '+18005550002', '+14155550002')).toBe(false);
    expect(view.onNumber('+18005550002').map((x) => x.request.id)).toEqual(['a']);
    view.apply({ type: 'removed', key: a.key, revision: 4, reason: removal('a', now()) });
    expect(view.busyCount('g')).toBe(0);
    expect(view.liveCounts()).toEqual(new Map());
    expect(view.historyOf('b')?.outcome).toBe('expired');
  });

  it('keeps the history in creation order, dates expiry at the expiry time, and drops old records', () => {
    const { view, now, advance } = setup({ historyMs: 60_000 });
    const first = request('first', '+18005550001', now());
    view.applyCreated(first, 1);
    const second = request('second', '+18005550002', now());
    view.applyCreated(second, 2);
    advance(45_000);
    view.apply({ type: 'expired', key: first.key, revision: 3 });
    // Past its expiry, the second is recorded as expired at once, before the store's TTL removal.
    expect(view.history('g').map((h) => [h.request.id, h.outcome, h.endedAtMs])).toEqual([
      ['first', 'expired', first.expiresAtMs],
      ['second', 'expired', second.expiresAtMs],
    ]);
    const record = view.historyOf('first');
    expect(record && historyEvents(record)).toEqual([
      { type: 'created', atMs: first.createdAtMs },
      { type: 'expired', atMs: first.expiresAtMs },
    ]);
    // Ended 15 s before "now"; kept until 60 s after it ended.
    advance(44_000);
    expect(view.historyOf('first')).toBeDefined();
    advance(2_000);
    expect(view.historyOf('first')).toBeUndefined();
    // A request whose key the store still holds stays in the history however old it is.
    expect(view.history('g').map((h) => h.request.id)).toEqual(['second']);
  });

  it('caps the ended requests it remembers, dropping the earliest ended first', () => {
    const { view, now } = setup({ historyMaxEntries: 2 });
    for (let i = 0; i < 4; i++) {
      const r = request(`r${i}`, `+1800555000${i}`, now());
      view.applyCreated(r, i * 2 + 1);
      view.apply({ type: 'removed', key: r.key, revision: i * 2 + 2, reason: removal(r.id, now()) });
    }
    expect(view.history('g').map((h) => h.request.id)).toEqual(['r2', 'r3']);
  });

  it('replaces its picture with a snapshot: unknown entries added, vanished ones dropped or expired', () => {
    const { view, now, advance, ended } = setup();
    const stays = request('stays', '+18005550001', now());
    const vanishes = request('vanishes', '+18005550002', now(), { expiresAtMs: now() + 60_000 });
    const expires = request('expires', '+18005550003', now(), { expiresAtMs: now() + 5_000 });
    view.applyCreated(stays, 1);
    view.applyCreated(vanishes, 2);
    view.applyCreated(expires, 3);
    advance(10_000);
    const arrives = request('arrives', '+18005550004', now());
    view.apply({
      type: 'snapshot',
      entries: [
        { key: stays.key, value: encodeRecord(stays), revision: 1 },
        { key: arrives.key, value: encodeRecord(arrives), revision: 7 },
      ],
    });
    expect(view.liveRequests('g').map((r) => r.id)).toEqual(['stays', 'arrives']);
    expect(ended).toEqual(['expires:expired']);
    expect(view.historyOf('vanishes')).toBeUndefined();
  });

  it('counts the requests it saw end, by group and outcome, each once', () => {
    const { view, now } = setup();
    const matched = request('m', '+18005550001', now());
    const cancelled = request('c', '+18005550002', now(), {
      groupName: 'h',
      key: slotKey('h', '+18005550002', { kind: 'unique' }),
    });
    const expired = request('e', '+18005550003', now());
    for (const [r, revision] of [
      [matched, 1],
      [cancelled, 2],
      [expired, 3],
    ] as const)
      view.applyCreated(r, revision);
    view.apply({ type: 'removed', key: matched.key, revision: 4, reason: removal('m', now()) });
    // The same end delivered twice (the remover's own apply, then its watch echo) counts once.
    view.apply({ type: 'removed', key: matched.key, revision: 4, reason: removal('m', now()) });
    view.apply({
      type: 'removed',
      key: cancelled.key,
      revision: 5,
      reason: encodeRecord({ outcome: 'cancelled', id: 'c', atMs: now() }),
    });
    view.apply({ type: 'expired', key: expired.key, revision: 6 });
    expect(view.endCounts()).toEqual(
      new Map([
        [
          'g',
          new Map([
            ['matched', 1],
            ['expired', 1],
          ]),
        ],
        ['h', new Map([['cancelled', 1]])],
      ]),
    );
  });
});
