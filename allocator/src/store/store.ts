import { AppError } from '#lib';
import type { RecordedSlotChange, SlotEntry, SlotEvent } from '../domain/slot-events.ts';

/**
 * The coordination store: a key-value store with per-key TTL, create-if-absent and compare-and-set
 * removal. Two implementations share this contract (test/contract/store.contract.ts): NATS JetStream
 * KV for any number of replicas, and an in-process memory store for a single replica.
 *
 * Keys use only `[-/_=.a-zA-Z0-9]` and `.` separates tokens (see domain/keys.ts).
 */
export interface CoordinationStore {
  /** Which implementation, for logs and `/readyz`. */
  readonly kind: 'memory' | 'nats';
  /**
   * Writes `value` under `key` only if no live value is there, with a TTL after which the key is
   * removed by the store itself. Returns the new revision. Throws `STORE_KEY_EXISTS` if the key is live.
   */
  create(key: string, value: Uint8Array, ttlSeconds: number): Promise<number>;
  /**
   * Writes `value` under `key` only if the key is still at `revision` (compare-and-set), with a new
   * TTL. Returns the new revision. Throws `STORE_CONFLICT` when the key changed, or is gone.
   */
  replace(key: string, value: Uint8Array, revision: number, ttlSeconds: number): Promise<number>;
  /** The live value of `key`, or null when absent, removed or expired. */
  get(key: string): Promise<StoreEntry | null>;
  /**
   * Removes `key` only if its revision is still `revision` (compare-and-set). `reason` travels to
   * watchers. Returns the revision of the removal. Throws `STORE_CONFLICT` when the key changed or is gone.
   */
  remove(key: string, revision: number, reason: Uint8Array): Promise<number>;
  /** Every live entry whose key matches `filter` (see {@link keyMatches}), e.g. a whole token prefix. */
  list(filter: string): Promise<StoreEntry[]>;
  /**
   * Calls `onEvent` with a `snapshot` of the live entries that match `filter` ({@link keyMatches}),
   * then with every later change of such a key. After a reconnection a new `snapshot` replaces the
   * old one (for the keys the filter matches; the receiver's other keys are not its business). Every event carries the
   * revision it was written at, so a receiver can drop stale ones. A put removed or replaced before
   * the watch read it may be skipped (NATS: the removal purges it from the stream), never what came
   * after it: a removal therefore carries what a reader needs of the request (`removalOf`).
   */
  watch(filter: string, onEvent: (event: StoreEvent) => void, options?: WatchOptions): Promise<StoreWatch>;
  /**
   * Every kept change under the records prefix recorded since `from.sinceMs` (by `atMs`), or after
   * the position `from.after` that an earlier replay returned, oldest first, to `onChange`. Every
   * write made before the call is among them (the replay waits, for a while, for the NATS server to
   * have copied it to the records). Resolves with the position of the last change delivered (or the
   * records' latest, when none was): the `after` of the next replay, which then delivers only
   * what came later. Kept by the store for its retention ({@link RecordsRetention}), and (NATS)
   * across restarts of every replica, the same whichever replica reads them. A put replaced or
   * removed at once (before the NATS server copied it to the records, about a millisecond) may be
   * missing; what came after it never is.
   */
  replayRecords(from: RecordsFrom, onChange: (change: RecordedChange) => void): Promise<number>;
  /** True while the store can serve requests. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** The watch delivers the slot keys' changes in the domain's terms. */
export type StoreEntry = SlotEntry;
export type StoreEvent = SlotEvent;

/** A slot key's change as the records keep it: the change and when the store recorded it (ms). */
export type RecordedChange = RecordedSlotChange;

/** Where a records replay starts: at a time, or after a position an earlier replay returned. */
export type RecordsFrom = { sinceMs: number } | { after: number };

/**
 * Whether `key` matches `filter`: a whole token prefix ending in `.` (`s.` matches every key under
 * it), or a pattern of whole tokens where `*` stands for any one token (`s.*.*.u` matches the keys
 * of four tokens whose first is `s` and last is `u`), as NATS subject filters do.
 */
export function keyMatches(key: string, filter: string): boolean {
  if (filter.endsWith('.')) {
    if (!filter.includes('*')) return key.startsWith(filter);
    return tokensMatch(key.split('.'), filter.slice(0, -1).split('.'), true);
  }
  return tokensMatch(key.split('.'), filter.split('.'), false);
}

function tokensMatch(key: string[], pattern: string[], prefix: boolean): boolean {
  if (prefix ? key.length <= pattern.length : key.length !== pattern.length) return false;
  return pattern.every((token, i) => token === '*' || token === key[i]);
}

/** Which changes the store keeps as records, and for how long. */
export interface RecordsRetention {
  /** Key prefix whose changes are kept, a whole token prefix ending in `.`, e.g. `s.`. */
  prefix: string;
  /** A change is dropped this long after it was recorded. */
  maxAgeMs: number;
  /** Past this many changes, the oldest are dropped. */
  maxChanges: number;
}

/** The retention when none is given: the slot keys, for an hour, at most 200,000 changes. */
export const DEFAULT_RECORDS_RETENTION: RecordsRetention = {
  prefix: 's.',
  maxAgeMs: 3_600_000,
  maxChanges: 200_000,
};

/** The retention asked for, or the default; throws a `RangeError` for one no store can keep. */
export function recordsRetention(asked: RecordsRetention | undefined): RecordsRetention {
  const r = asked ?? DEFAULT_RECORDS_RETENTION;
  if (!r.prefix.endsWith('.')) throw new RangeError(`records prefix ${r.prefix} does not end in "."`);
  if (!(r.maxAgeMs >= 1_000)) throw new RangeError(`records max age ${r.maxAgeMs} ms is under a second`);
  if (!(Number.isInteger(r.maxChanges) && r.maxChanges >= 1))
    throw new RangeError(`records max changes ${r.maxChanges} is not a positive integer`);
  return r;
}

export interface WatchOptions {
  /**
   * True when the receiver already has this revision of this key (e.g. it wrote it): the store may
   * then skip the event without decoding it. Snapshots are always delivered whole.
   */
  isKnown?: (key: string, revision: number) => boolean;
}

export interface StoreWatch {
  stop(): Promise<void>;
}

export const StoreCode = {
  /** create: the key holds a live value. */
  KeyExists: 'STORE_KEY_EXISTS',
  /** remove: the key's revision changed, or the key is gone. */
  Conflict: 'STORE_CONFLICT',
  /** The store cannot be reached or did not answer in time. */
  Unavailable: 'STORE_UNAVAILABLE',
  /** The server or bucket lacks a feature this service needs (per-message TTL). */
  Unsupported: 'STORE_UNSUPPORTED',
} as const;
export type StoreCode = (typeof StoreCode)[keyof typeof StoreCode];

export class StoreError extends AppError<StoreCode> {}

/** Shortest TTL a store accepts (NATS per-message TTL has one-second resolution). */
export const MIN_TTL_SECONDS = 1;
