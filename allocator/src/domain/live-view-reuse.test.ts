import { describe, expect, it } from 'vitest';
import { encodeRecord, removalOf, type CallInRequest } from './call-in-request.ts';
import { uniqueRequest, viewFixture } from '../testing/live-view-fixtures.ts';

const setup = () => viewFixture({ startMs: 5_000_000, historyMs: 600_000, historyMaxEntries: 3 });

const request = (id: string, number: string, createdAtMs: number, extra: Partial<CallInRequest> = {}) =>
  uniqueRequest(id, number, createdAtMs, { coolDownSeconds: 10, ...extra });

const cooled = (r: CallInRequest, revision: number, atMs: number) =>
  ({ type: 'put', key: r.key, value: encodeRecord(removalOf(r, 'matched', atMs)), revision }) as const;

describe('LiveView: cooling markers', () => {
  it('ends the request on a cooling put and keeps its number busy until the marker says', () => {
    const { view, ended, now, advance } = setup();
    const r = request('a', '+18005551000', now());
    view.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 1 });
    view.apply(cooled(r, 2, now()));
    expect(ended).toEqual(['a:matched']);
    expect(view.historyOf('a')).toMatchObject({ outcome: 'matched' });
    expect(view.liveRequests('g')).toEqual([]);
    expect(view.isNumberBusy('g', '+18005551000')).toBe(true);
    expect(view.coolingCount('g')).toBe(1);
    expect(view.nextExpiryInMs('g')).toBe(10_000);
    expect(view.nextExpiryOnNumberInMs('g', '+18005551000')).toBe(10_000);
    advance(10_000);
    expect(view.isNumberBusy('g', '+18005551000')).toBe(false);
    expect(view.coolingCount('g')).toBe(0);
    // The store's TTL removal of the marker is no second end.
    view.apply({ type: 'expired', key: r.key, revision: 3 });
    expect(ended).toEqual(['a:matched']);
    expect(view.historyOf('a')).toMatchObject({ outcome: 'matched' });
  });

  it('forgets a cooling marker when the records say its TTL ran out', () => {
    const { view, now } = setup();
    const r = request('c', '+18005551002', now());
    view.applyRecorded({ type: 'put', key: r.key, value: encodeRecord(r), revision: 1, atMs: now() }, true);
    view.applyRecorded({ ...cooled(r, 2, now()), atMs: now() }, true);
    expect(view.coolingCount('g')).toBe(1);
    view.applyRecorded({ type: 'expired', key: r.key, revision: 3, atMs: now() }, true);
    // Held until the marker's own time only by the view's index: the key is gone from the store.
    expect(view.coolingCount('g')).toBe(0);
    expect(view.isNumberBusy('g', '+18005551002')).toBe(false);
    expect(view.historyOf('c')).toMatchObject({ outcome: 'matched' });
  });

  it('records a cooling marker of a request it never saw (a snapshot, or the records)', () => {
    const { view, now } = setup();
    const r = request('b', '+18005551001', now() - 1_000);
    view.apply({
      type: 'snapshot',
      entries: [{ key: r.key, value: cooled(r, 7, now()).value, revision: 7 }],
    });
    expect(view.isNumberBusy('g', '+18005551001')).toBe(true);
    const s = request('c', '+18005551002', now() - 1_000);
    view.applyRecorded({ ...cooled(s, 9, now()), atMs: now() });
    expect(view.historyOf('c')).toMatchObject({ outcome: 'matched' });
    expect(view.isNumberBusy('g', '+18005551002')).toBe(true);
    // A later snapshot without the marker frees the number.
    view.apply({ type: 'snapshot', entries: [] });
    expect(view.isNumberBusy('g', '+18005551001')).toBe(false);
    expect(view.isNumberBusy('g', '+18005551002')).toBe(false);
  });

  it('keeps a number busy through the cool-down after an expiry, and records the expiry when it happened', () => {
    const { view, advance, now } = setup();
    const r = request('d', '+18005551003', now());
    view.apply({ type: 'put', key: r.key, value: encodeRecord(r), revision: 1 });
    advance(30_000);
    expect(view.historyOf('d')).toMatchObject({ outcome: 'expired', endedAtMs: r.expiresAtMs });
    expect(view.liveRequests('g')).toEqual([]);
    expect(view.isNumberBusy('g', '+18005551003')).toBe(true);
    expect(view.nextExpiryInMs('g')).toBe(10_000);
    advance(10_000);
    expect(view.isNumberBusy('g', '+18005551003')).toBe(false);
  });

  it('keeps numbers busy for the store’s TTL lag past the marker’s time and the expiry', () => {
    const { view, now, advance } = viewFixture({ startMs: 5_000_000, ttlLagMs: 1_000 });
    const r = request('g1', '+18005551005', now());
    view.apply(cooled(r, 2, now()));
    const s = request('g2', '+18005551006', now(), { coolDownSeconds: undefined });
    view.applyCreated(s, 3);
    advance(10_999);
    expect(view.isNumberBusy('g', '+18005551005')).toBe(true);
    advance(1);
    expect(view.isNumberBusy('g', '+18005551005')).toBe(false);
    advance(19_999);
    expect(view.isNumberBusy('g', '+18005551006')).toBe(true);
    advance(1);
    expect(view.isNumberBusy('g', '+18005551006')).toBe(false);
  });

  it('a new request on a key that was cooling ends the cooling', () => {
    const { view, advance, now } = setup();
    const r = request('e', '+18005551004', now());
    view.apply(cooled(r, 2, now()));
    advance(10_000);
    const next = request('f', '+18005551004', now());
    view.apply({ type: 'put', key: next.key, value: encodeRecord(next), revision: 5 });
    expect(view.coolingCount('g')).toBe(0);
    expect(view.historyOf('f')).toMatchObject({ request: { id: 'f' } });
  });
});

describe('LiveView: hand-out order and callers', () => {
  it('orders numbers least recently handed out first and remembers each caller’s last number', () => {
    const { view, now, advance } = setup();
    const numbers = ['+18005551000', '+18005551001', '+18005551002'];
    numbers.forEach((n, i) => {
      const r = request(`r${i}`, n, now(), { callerNumber: '+14155550100' });
      view.applyCreated(r, i + 1);
      advance(1);
    });
    const again = request('r3', numbers[0] as string, now());
    view.applyCreated(again, 4);
    expect([...(view.handedOutOrder('g')?.keys() ?? [])]).toEqual([numbers[1], numbers[2], numbers[0]]);
    expect(view.lastNumberOf('g', '+14155550100')).toEqual({ number: numbers[2], atMs: now() - 1 });
    expect(view.lastNumberOf('other', '+14155550100')).toBeUndefined();
  });

  it('keeps callers as far back as the history and at most as many', () => {
    const { view, now, advance } = setup();
    for (let i = 0; i < 5; i++) {
      view.applyCreated(request(`c${i}`, '+18005551000', now(), { callerNumber: `+1415555010${i}` }), i + 1);
      advance(1);
    }
    expect(view.lastNumberOf('g', '+14155550100')).toBeUndefined();
    expect(view.lastNumberOf('g', '+14155550104')).toBeDefined();
    advance(600_001);
    view.applyCreated(request('c9', '+18005551001', now(), { callerNumber: '+14155550109' }), 9);
    expect(view.lastNumberOf('g', '+14155550104')).toBeUndefined();
    expect(view.lastNumberOf('g', '+14155550109')).toBeDefined();
  });
});
