import type { RequestOutcome } from './call-in-request.ts';
import type { HistoryRecord } from './live-view.ts';

/** A record's state: live, or how it ended. */
export type RecordState = 'live' | RequestOutcome;

export const RECORD_STATES: readonly RecordState[] = ['live', 'matched', 'cancelled', 'expired'];

/** Where a page of records ends: the next page starts after this record (newest first). */
export interface RecordCursor {
  createdAtMs: number;
  id: string;
}

export interface RecordsQuery {
  /** Which groups the reader may see (undefined: all). */
  allowed?: (groupName: string) => boolean;
  groupName?: string;
  id?: string;
  /** `+E.164`. */
  callerNumber?: string;
  state?: RecordState;
  /** Created at or after (ms). */
  fromMs?: number;
  /** Created before (ms). */
  toMs?: number;
  /** Records per page, at least 1. */
  limit: number;
  after?: RecordCursor;
}

export interface RecordsPage {
  records: HistoryRecord[];
  /** Set when more records match than this page holds. */
  next?: RecordCursor;
}

export function recordState(record: HistoryRecord): RecordState {
  return record.outcome ?? 'live';
}

/** The records that match, newest first (by creation, then id), one page of them. */
export function selectRecords(records: Iterable<HistoryRecord>, query: RecordsQuery): RecordsPage {
  const matching: HistoryRecord[] = [];
  for (const record of records) if (matches(record, query)) matching.push(record);
  matching.sort(newestFirst);
  const start = query.after ? matching.findIndex((r) => isAfter(r, query.after as RecordCursor)) : 0;
  if (start < 0) return { records: [] };
  const page = matching.slice(start, start + query.limit);
  const last = page.at(-1);
  return start + page.length < matching.length && last
    ? { records: page, next: { createdAtMs: last.request.createdAtMs, id: last.request.id } }
    : { records: page };
}

function matches(record: HistoryRecord, q: RecordsQuery): boolean {
  const r = record.request;
  return (
    (q.allowed?.(r.groupName) ?? true) &&
    (q.groupName === undefined || r.groupName === q.groupName) &&
    (q.id === undefined || r.id === q.id) &&
    (q.callerNumber === undefined || r.callerNumber === q.callerNumber) &&
    (q.state === undefined || recordState(record) === q.state) &&
    (q.fromMs === undefined || r.createdAtMs >= q.fromMs) &&
    (q.toMs === undefined || r.createdAtMs < q.toMs)
  );
}

function newestFirst(a: HistoryRecord, b: HistoryRecord): number {
  return (
    b.request.createdAtMs - a.request.createdAtMs ||
    (a.request.id < b.request.id ? 1 : a.request.id > b.request.id ? -1 : 0)
  );
}

/** Whether `record` sorts after the cursor's position (is older, or as old with a smaller id). */
function isAfter(record: HistoryRecord, cursor: RecordCursor): boolean {
  const { createdAtMs, id } = record.request;
  return createdAtMs < cursor.createdAtMs || (createdAtMs === cursor.createdAtMs && id < cursor.id);
}

/** A cursor as an opaque URL-safe token. */
export function encodeCursor(cursor: RecordCursor): string {
  return Buffer.from(`${cursor.createdAtMs}.${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor a token names, or undefined when it is not one this service wrote. */
export function decodeCursor(token: string): RecordCursor | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const dot = text.indexOf('.');
  const createdAtMs = Number(text.slice(0, dot));
  const id = text.slice(dot + 1);
  if (dot <= 0 || !Number.isSafeInteger(createdAtMs) || id.length === 0 || id.length > 100) return undefined;
  return { createdAtMs, id };
}
