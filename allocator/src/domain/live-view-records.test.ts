import { describe, expect, it } from 'vitest';
import { decodeRemoval, encodeRecord, removalOf, type CallInRequest } from './call-in-request.ts';
import { historyEvents } from './live-view.ts';
import { uniqueRequest, viewFixture } from '../testing/live-view-fixtures.ts';
import { slotKey } from './keys.ts';

const setup = () => viewFixture({ startMs: 5_000_000, historyMs: 600_000 });

function request(id: string, number: string, createdAtMs: number, extra: Partial<CallInRequest> = {}) {
  return uniqueRequest(id, number, createdAtMs, extra);
}

const put = (r: CallInRequest, revision: number, atMs: number) =>
  ({ type: 'put', key: r.key, value: encodeRecord(r), revision, atMs }) as const;
const removed = (r: CallInRequest, revision: number, atMs: number, outcome: 'matched' | 'cancelled') =>
  ({
    type: 'removed',
    key: r.key,
    revision,
    reason: encodeRecord(removalOf(r, outcome, atMs)),
    atMs,
  }) as const;

describe('removal markers', () => {
  it('carry the request without its userData, and decode back', () => {
    const r = request('a', '+18005550001', 1, { userData: { secret: 'x' } });
    const decoded = decodeRemoval(encodeRecord(removalOf(r, 'matched', 7)));
    expect(decoded).toEqual({ outcome: 'matched', id: 'a', atMs: 7, request: { ...r, userData: undefined } });
    expect(decoded?.request).not.toHaveProperty('userData');
  });

  it('drop a carried request that is not the one the marker names', () => {
    const marker = { ...removalOf(request('a', '+18005550001', 1), 'cancelled', 7), id: 'b' };
    expect(decodeRemoval(encodeRecord(marker))).toEqual({ outcome: 'cancelled', id: 'b', atMs: 7 });
  });
});

describe('LiveView and the store records', () => {
  it('records a request whose removal is all the watch delivered', () => {
    const { view, ended, now } = setup();
    view.apply({ type: 'snapshot', entries: [] });
    const r = request('a', '+18005550001', now() - 10);
    view.apply({
      type: 'removed',
      key: r.key,
      revision: 4,
      reason: encodeRecord(removalOf(r, 'matched', now())),
    });
    expect(view.historyOf('a')).toMatchObject({ outcome: 'matched', endedAtMs: now(), request: { id: 'a' } });
    expect(view.liveRequests('g')).toEqual([]);
    expect(ended).toEqual(['a:matched']);
    // The late put of that request does not bring it back.
    view.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 3 });
    expect(view.liveRequests('g')).toEqual([]);
  });

  it('replays what happened before it started, dated by the store, without counting ends as seen now', () => {
    const { view, ended, now } = setup();
    const t = now() - 100_000;
    const a = request('a', '+18005550001', t);
    const b = request('b', '+18005550002', t + 1);
    const c = request('c', '+18005550003', t + 2);
    const d = request('d', '+18005550004', now() - 5);
    for (const change of [
      put(a, 1, t),
      put(b, 2, t + 1),
      put(c, 3, t + 2),
      removed(a, 4, t + 50, 'matched'),
      removed(b, 5, t + 60, 'cancelled'),
      { type: 'expired', key: c.key, revision: 6, atMs: t + 31_000 } as const,
      put(d, 7, now() - 5),
    ])
      view.applyRecorded(change);
    view.apply({ type: 'snapshot', entries: [{ key: d.key, value: encodeRecord(d), revision: 7 }] });

    const states = Object.fromEntries(
      [...view.records()].map((h) => [h.request.id, historyEvents(h).map((e) => `${e.type}@${e.atMs - t}`)]),
    );
    expect(states).toEqual({
      a: ['created@0', 'matched@50'],
      b: ['created@1', 'cancelled@60'],
      c: ['created@2', 'expired@30002'],
      d: [`created@${now() - 5 - t}`],
    });
    expect(view.liveRequests('g').map((r) => r.id)).toEqual(['d']);
    expect(ended).toEqual([]);
    expect(view.endCounts().size).toBe(0);
  });

  it('takes a replayed removal alone (its put was replaced before the records copied it)', () => {
    const { view, now } = setup();
    const r = request('a', '+18005550001', now() - 1_000);
    view.applyRecorded(removed(r, 9, now() - 500, 'cancelled'));
    expect(view.historyOf('a')).toMatchObject({ outcome: 'cancelled', endedAtMs: now() - 500 });
  });

  it('ignores replayed changes older than what the watch already gave, and replays twice harmlessly', () => {
    const { view, now } = setup();
    const old = request('old', '+18005550001', now() - 60_000);
    const current = request('new', '+18005550001', now() - 10);
    view.apply({
      type: 'snapshot',
      entries: [{ key: current.key, value: encodeRecord(current), revision: 20 }],
    });
    const changes = [
      put(old, 10, old.createdAtMs),
      removed(old, 11, old.createdAtMs + 5, 'matched'),
      put(current, 20, now() - 10),
    ];
    for (const change of [...changes, ...changes]) view.applyRecorded(change);
    expect(view.liveRequests('g').map((r) => r.id)).toEqual(['new']);
    // The earlier request on the same key is still recorded, from the copy its removal carries.
    expect(view.historyOf('old')).toMatchObject({ outcome: 'matched' });
    expect([...view.records()]).toHaveLength(2);
  });

  it('ends a replayed live request on its expiry marker, but not a newer request on the same key', () => {
    const { view, now } = setup();
    const r = request('a', '+18005550001', now() - 40_000);
    view.applyRecorded(put(r, 1, r.createdAtMs));
    const again = request('b', '+18005550001', now() - 5_000);
    view.applyRecorded({ type: 'expired', key: r.key, revision: 2, atMs: r.expiresAtMs });
    view.applyRecorded(put(again, 3, again.createdAtMs));
    view.applyRecorded({ type: 'expired', key: r.key, revision: 2, atMs: r.expiresAtMs });
    expect(view.historyOf('a')).toMatchObject({ outcome: 'expired', endedAtMs: r.expiresAtMs });
    expect(view.historyOf('b')?.outcome).toBeUndefined();
  });
});

describe('LiveView fed by a watch of some keys and by the records for the others', () => {
  const isUnique = (key: string) => key.endsWith('.u');
  const shared = (id: string, number: string, createdAtMs: number, code: string) =>
    request(id, number, createdAtMs, {
      uniqueDnis: false,
      accessCode: code,
      key: slotKey('g', number, { kind: 'code', accessCode: code }),
    });

  it("settles with a snapshot only the keys the watch covers, and leaves the records' others live", () => {
    const { view, now } = viewFixture({ watches: isUnique });
    const u = request('u', '+18005550001', now());
    const s = shared('s', '+18005550002', now(), '123456');
    view.applyRecorded(put(u, 1, now()));
    view.applyRecorded(put(s, 2, now()));
    // The watch's snapshot lists no unique key: the unique request has gone, the shared one stays.
    view.apply({ type: 'snapshot', entries: [] });
    expect(view.liveRequests('g').map((r) => r.id)).toEqual(['s']);
    expect(view.isNumberBusy('g', '+18005550001')).toBe(false);
  });

  it('counts the ends it reads from the records after the start as seen now, each once', () => {
    const { view, ended, now } = viewFixture({ watches: isUnique, synced: true });
    const s = shared('s', '+18005550002', now(), '123456');
    const t = shared('t', '+18005550002', now(), '654321');
    view.applyRecorded(put(s, 1, now()), true);
    view.applyRecorded(removed(s, 2, now(), 'matched'), true);
    // Created and cancelled between two reads: known from its removal alone.
    view.applyRecorded(removed(t, 4, now(), 'cancelled'), true);
    view.applyRecorded(removed(t, 4, now(), 'cancelled'), true);
    expect(ended).toEqual(['s:matched', 't:cancelled']);
    expect(view.historyOf('t')).toMatchObject({ outcome: 'cancelled' });
  });

  it('does not bring back, from a late record, a request it saw end on the watch', () => {
    const { view, ended, now } = viewFixture({ watches: isUnique, synced: true });
    const u = request('u', '+18005550001', now());
    view.apply({ type: 'put', key: u.key, value: encodeRecord(u), revision: 1 });
    view.apply({
      type: 'removed',
      key: u.key,
      revision: 2,
      reason: encodeRecord(removalOf(u, 'matched', now())),
    });
    view.applyRecorded(put(u, 1, now()), true);
    view.applyRecorded(removed(u, 2, now(), 'matched'), true);
    expect(view.liveRequests('g')).toEqual([]);
    expect(view.isNumberBusy('g', '+18005550001')).toBe(false);
    expect(ended).toEqual(['u:matched']);
  });
});
