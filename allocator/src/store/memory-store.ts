import { RecordsLog } from './records-log.ts';
import {
  keyMatches,
  recordsRetention,
  StoreCode,
  StoreError,
  type CoordinationStore,
  type RecordedChange,
  type RecordsFrom,
  type RecordsRetention,
  type StoreEntry,
  type StoreEvent,
  type StoreWatch,
  type WatchOptions,
} from './store.ts';

interface Slot {
  value: Uint8Array;
  revision: number;
  expiresAtMs: number;
}

export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; injected so tests can move time. */
  now?: () => number;
  /** How often expired keys are swept and announced to watchers. */
  sweepIntervalMs?: number;
  /** Which changes are kept as records, and how long (default: `DEFAULT_RECORDS_RETENTION`). */
  records?: RecordsRetention;
}

/**
 * The in-process store: the same semantics as the NATS store, for one replica only (nothing is
 * shared between processes). Expired keys are dropped on access and announced by a periodic sweep.
 */
export class MemoryStore implements CoordinationStore {
  readonly kind = 'memory' as const;
  readonly #slots = new Map<string, Slot>();
  readonly #watchers = new Set<{
    filter: string;
    onEvent: (e: StoreEvent) => void;
    isKnown?: WatchOptions['isKnown'];
  }>();
  readonly #records: RecordsLog;
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #revision = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#records = new RecordsLog(recordsRetention(options.records), this.#now);
    this.#timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 200);
    this.#timer.unref();
  }

  async create(key: string, value: Uint8Array, ttlSeconds: number): Promise<number> {
    this.#check();
    if (this.#live(key))
      throw new StoreError(StoreCode.KeyExists, `key ${key} is live`, { details: { key } });
    const revision = ++this.#revision;
    const copy = Uint8Array.from(value);
    this.#slots.set(key, { value: copy, revision, expiresAtMs: this.#now() + ttlSeconds * 1000 });
    this.#emit({ type: 'put', key, value: copy, revision });
    return revision;
  }

  async replace(key: string, value: Uint8Array, revision: number, ttlSeconds: number): Promise<number> {
    this.#check();
    const slot = this.#live(key);
    if (!slot || slot.revision !== revision) {
      throw new StoreError(StoreCode.Conflict, `key ${key} is not at revision ${revision}`, {
        details: { key },
      });
    }
    const next = ++this.#revision;
    const copy = Uint8Array.from(value);
    this.#slots.set(key, { value: copy, revision: next, expiresAtMs: this.#now() + ttlSeconds * 1000 });
    this.#emit({ type: 'put', key, value: copy, revision: next });
    return next;
  }

  async get(key: string): Promise<StoreEntry | null> {
    this.#check();
    const slot = this.#live(key);
    return slot ? { key, value: slot.value, revision: slot.revision } : null;
  }

  async remove(key: string, revision: number, reason: Uint8Array): Promise<number> {
    this.#check();
    const slot = this.#live(key);
    if (!slot || slot.revision !== revision) {
      throw new StoreError(StoreCode.Conflict, `key ${key} is not at revision ${revision}`, {
        details: { key },
      });
    }
    this.#slots.delete(key);
    const removedAt = ++this.#revision;
    this.#emit({ type: 'removed', key, revision: removedAt, reason: Uint8Array.from(reason) });
    return removedAt;
  }

  async list(filter: string): Promise<StoreEntry[]> {
    this.#check();
    return this.#liveEntries(filter);
  }

  async watch(
    filter: string,
    onEvent: (event: StoreEvent) => void,
    options: WatchOptions = {},
  ): Promise<StoreWatch> {
    this.#check();
    // Snapshot and registration in one turn: no change falls between them, and changes reach
    // watchers as they are made, so the watch is at the latest revision from the start.
    onEvent({ type: 'snapshot', entries: this.#liveEntries(filter) });
    const watcher = { filter, onEvent, isKnown: options.isKnown };
    this.#watchers.add(watcher);
    return {
      stop: async () => {
        this.#watchers.delete(watcher);
      },
    };
  }

  async replayRecords(from: RecordsFrom, onChange: (change: RecordedChange) => void): Promise<number> {
    this.#check();
    // A change's position is its revision: the log holds them in the order they were made.
    const changes = 'after' in from ? this.#records.after(from.after) : this.#records.since(from.sinceMs);
    for (const change of changes) onChange(change);
    return changes.at(-1)?.revision ?? Math.max('after' in from ? from.after : 0, this.#records.lastRevision);
  }

  healthy(): boolean {
    return !this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#watchers.clear();
  }

  /** Drops every expired key and tells watchers; runs on a timer, callable from tests. */
  sweep(): void {
    const now = this.#now();
    for (const [key, slot] of this.#slots) {
      if (slot.expiresAtMs <= now) {
        this.#slots.delete(key);
        this.#emit({ type: 'expired', key, revision: ++this.#revision });
      }
    }
  }

  #liveEntries(filter: string): StoreEntry[] {
    const out: StoreEntry[] = [];
    for (const key of [...this.#slots.keys()]) {
      if (!keyMatches(key, filter)) continue;
      const slot = this.#live(key);
      if (slot) out.push({ key, value: slot.value, revision: slot.revision });
    }
    return out;
  }

  #live(key: string): Slot | undefined {
    const slot = this.#slots.get(key);
    if (slot && slot.expiresAtMs <= this.#now()) {
      this.#slots.delete(key);
      this.#emit({ type: 'expired', key, revision: ++this.#revision });
      return undefined;
    }
    return slot;
  }

  #emit(event: Exclude<StoreEvent, { type: 'snapshot' }>): void {
    if (this.#records.covers(event.key)) this.#records.append({ ...event, atMs: this.#now() });
    for (const w of this.#watchers) {
      if (keyMatches(event.key, w.filter) && !w.isKnown?.(event.key, event.revision)) w.onEvent(event);
    }
  }

  #check(): void {
    if (this.#closed) throw new StoreError(StoreCode.Unavailable, 'the memory store is closed');
  }
}
