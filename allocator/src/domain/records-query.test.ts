import { describe, expect, it } from 'vitest';
import type { CallInRequest } from './call-in-request.ts';
import type { HistoryRecord } from './live-view.ts';
import { decodeCursor, encodeCursor, selectRecords, type RecordsQuery } from './records-query.ts';

const record = (
  id: string,
  createdAtMs: number,
  extra: Partial<CallInRequest> = {},
  outcome?: HistoryRecord['outcome'],
): HistoryRecord => ({
  request: {
    id,
    groupName: 'g',
    number: '+18005550001',
    uniqueDnis: false,
    createdAtMs,
    expiresAtMs: createdAtMs + 30_000,
    key: `k.${id}`,
    ...extra,
  },
  ...(outcome ? { outcome, endedAtMs: createdAtMs + 1 } : {}),
});

const records = [
  record('a', 100, { callerNumber: '+14155550100' }, 'matched'),
  record('b', 200, { groupName: 'h' }, 'cancelled'),
  record('c', 300, { callerNumber: '+14155550100' }),
  record('d', 300, {}, 'expired'),
  record('e', 400),
];
const ids = (q: Partial<RecordsQuery>) =>
  selectRecords(records, { limit: 100, ...q }).records.map((r) => r.request.id);

describe('selectRecords', () => {
  it('lists newest first, ties by id', () => {
    expect(ids({})).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('filters by group, id, caller number, state and creation time, and by what the reader may see', () => {
    expect(ids({ groupName: 'h' })).toEqual(['b']);
    expect(ids({ id: 'c' })).toEqual(['c']);
    expect(ids({ callerNumber: '+14155550100' })).toEqual(['c', 'a']);
    expect(ids({ state: 'live' })).toEqual(['e', 'c']);
    expect(ids({ state: 'expired' })).toEqual(['d']);
    expect(ids({ fromMs: 200, toMs: 400 })).toEqual(['d', 'c', 'b']);
    expect(ids({ allowed: (g) => g !== 'g' })).toEqual(['b']);
  });

  it('pages with a cursor: every record once, in order, and no cursor on the last page', () => {
    const seen: string[] = [];
    let query: RecordsQuery = { limit: 2 };
    for (let pages = 0; pages < 10; pages++) {
      const page = selectRecords(records, query);
      seen.push(...page.records.map((r) => r.request.id));
      if (!page.next) break;
      const after = decodeCursor(encodeCursor(page.next));
      expect(after).toEqual(page.next);
      query = { limit: 2, ...(after ? { after } : {}) };
    }
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(selectRecords(records, { limit: 5 }).next).toBeUndefined();
    expect(selectRecords(records, { limit: 4 }).next).toEqual({ createdAtMs: 100 + 100, id: 'b' });
  });

  it('continues after the cursor even when that record has gone meanwhile', () => {
    const page = selectRecords(records, { limit: 10, after: { createdAtMs: 300, id: 'cc' } });
    expect(page.records.map((r) => r.request.id)).toEqual(['c', 'b', 'a']);
  });

  it('refuses tokens it did not write', () => {
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
    expect(decodeCursor(Buffer.from('x.y').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('12.').toString('base64url'))).toBeUndefined();
  });
});
