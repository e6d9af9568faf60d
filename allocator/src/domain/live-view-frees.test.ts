import { describe, expect, it } from 'vitest';
import { encodeRecord, removalOf } from './call-in-request.ts';
import { uniqueRequest, viewFixture } from '../testing/live-view-fixtures.ts';

// What a full pool's memory (FullPools) rests on: every way a number can free is counted, or timed.
describe('LiveView: frees of a group and when its first busy number frees', () => {
  it('counts a request leaving a number, and a cooling key leaving one', () => {
    const { view, now } = viewFixture({ synced: true });
    const a = uniqueRequest('a', '+18005551000', now());
    const b = uniqueRequest('b', '+18005551001', now(), { coolDownSeconds: 10 });
    view.apply({ type: 'put', key: a.key, value: encodeRecord(a), revision: 1 });
    view.apply({ type: 'put', key: b.key, value: encodeRecord(b), revision: 2 });
    const start = view.freedCount('g');
    // Adding makes nothing free.
    expect(view.freedCount('g')).toBe(start);
    view.apply({
      type: 'removed',
      key: a.key,
      revision: 3,
      reason: encodeRecord(removalOf(a, 'matched', now())),
    });
    expect(view.freedCount('g')).toBe(start + 1);
    // b ends into a cooling marker (its request leaves the number), whose expiry frees the key.
    view.apply({ type: 'put', key: b.key, value: encodeRecord(removalOf(b, 'matched', now())), revision: 4 });
    const cooling = view.freedCount('g');
    expect(cooling).toBeGreaterThan(start + 1);
    view.apply({ type: 'expired', key: b.key, revision: 5 });
    expect(view.freedCount('g')).toBeGreaterThan(cooling);
    expect(view.freedCount('other')).toBe(0);
  });

  it('counts the requests a snapshot finds gone', () => {
    const { view, now } = viewFixture({ synced: true });
    const a = uniqueRequest('a', '+18005551000', now());
    view.apply({ type: 'put', key: a.key, value: encodeRecord(a), revision: 1 });
    const before = view.freedCount('g');
    view.apply({ type: 'snapshot', entries: [] });
    expect(view.freedCount('g')).toBe(before + 1);
  });

  it('times the first free after the store’s TTL lag, counting numbers already in the lag', () => {
    const { view, now, advance } = viewFixture({ synced: true, ttlLagMs: 1_000 });
    const first = uniqueRequest('a', '+18005551000', now()); // busy until +30 s
    advance(5_000);
    const second = uniqueRequest('b', '+18005551001', now()); // busy until +35 s
    view.apply({ type: 'put', key: first.key, value: encodeRecord(first), revision: 1 });
    view.apply({ type: 'put', key: second.key, value: encodeRecord(second), revision: 2 });
    expect(view.nextFreeAtMs('g')).toBe(first.expiresAtMs + 1_000);
    // Past the first's expiry, within the lag: still busy, and still the first to free.
    advance(25_500);
    expect(view.isNumberBusy('g', first.number)).toBe(true);
    expect(view.nextExpiryInMs('g')).toBe(second.expiresAtMs - now());
    expect(view.nextFreeAtMs('g')).toBe(first.expiresAtMs + 1_000);
    // Asked from an earlier moment (a walk's start), the same.
    expect(view.nextFreeAtMs('g', undefined, now() - 20_000)).toBe(first.expiresAtMs + 1_000);
    advance(1_000);
    expect(view.isNumberBusy('g', first.number)).toBe(false);
    expect(view.nextFreeAtMs('g')).toBe(second.expiresAtMs + 1_000);
    // A walk that began before the first freed still learns of it.
    expect(view.nextFreeAtMs('g', undefined, now() - 1_000)).toBe(first.expiresAtMs + 1_000);
    expect(view.nextFreeAtMs('g', (n) => n !== second.number)).toBeUndefined();
  });
});
