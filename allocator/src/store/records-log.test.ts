import { describe, expect, it } from 'vitest';
import { RecordsLog } from './records-log.ts';
import type { RecordedChange } from './store.ts';

const expiry = (key: string, revision: number, atMs: number): RecordedChange => ({
  type: 'expired',
  key,
  revision,
  atMs,
});

describe("the memory store's records", () => {
  it('keeps the changes under the prefix, oldest first, from a time', () => {
    const log = new RecordsLog({ prefix: 's.', maxAgeMs: 60_000, maxChanges: 10 }, () => 1_000);
    expect(log.covers('s.g.k')).toBe(true);
    expect(log.covers('g.k')).toBe(false);
    log.append(expiry('s.a', 1, 100));
    log.append(expiry('s.b', 2, 200));
    expect(log.since(0).map((c) => c.revision)).toEqual([1, 2]);
    expect(log.since(150).map((c) => c.revision)).toEqual([2]);
    expect(log.lastRevision).toBe(2);
  });

  it('drops the oldest past the count, and what is older than the age', () => {
    let now = 0;
    const log = new RecordsLog({ prefix: 's.', maxAgeMs: 1_000, maxChanges: 3 }, () => now);
    for (let i = 1; i <= 5; i++) log.append(expiry(`s.k${i}`, i, i * 100));
    expect(log.since(0).map((c) => c.revision)).toEqual([3, 4, 5]);
    now = 1_450;
    expect(log.since(0).map((c) => c.revision)).toEqual([5]);
    now = 10_000;
    expect(log.since(0)).toEqual([]);
    // The latest revision outlives its record.
    expect(log.lastRevision).toBe(5);
  });

  it('stays the same when many are dropped (the kept ones are cut off now and then)', () => {
    const log = new RecordsLog({ prefix: 's.', maxAgeMs: 60_000, maxChanges: 100 }, () => 0);
    for (let i = 1; i <= 5_000; i++) log.append(expiry(`s.k${i}`, i, 0));
    const kept = log.since(0).map((c) => c.revision);
    expect(kept).toEqual(Array.from({ length: 100 }, (_, i) => 4_901 + i));
  });
});
