import type { StoreEntry, StoreEvent } from '../store/index.ts';
import { decodeRemoval, decodeRequest, type CallInRequest, type RequestOutcome } from '../domain/index.ts';

export interface HistoryEvent {
  type: 'created' | RequestOutcome;
  atMs: number;
}

export interface HistoryRecord {
  request: CallInRequest;
  events: HistoryEvent[];
  /** Set once the request has ended. */
  outcome?: RequestOutcome;
  lastEventAtMs: number;
}

export interface LiveViewOptions {
  now: () => number;
  /** How long an ended request stays in the history. */
  historyMs: number;
  /** At most this many requests in the history (oldest dropped first). */
  historyMaxEntries: number;
  /** Told once per request end observed, whichever replica caused it. */
  onEnded?: (request: CallInRequest, outcome: RequestOutcome) => void;
}

interface Live {
  request: CallInRequest;
  revision: number;
}

/**
 * This replica's picture of the live requests of every group, kept from the store's watch, and the
 * history of what happened to each request since this replica started. The store decides; this view
 * only steers choices (which number to try) and answers reads.
 */
export class LiveView {
  readonly #options: LiveViewOptions;
  readonly #byKey = new Map<string, Live>();
  readonly #byId = new Map<string, string>();
  /** group → number → slot keys (nested, so lookups build no composite string) */
  readonly #byGroupNumber = new Map<string, Map<string, Set<string>>>();
  /** number → slot keys, all groups */
  readonly #byNumber = new Map<string, Set<string>>();
  /** Highest revision seen per key, live or not, to drop stale events. */
  readonly #revisions = new Map<string, number>();
  readonly #history = new Map<string, HistoryRecord>();
  #synced = false;

  constructor(options: LiveViewOptions) {
    this.#options = options;
  }

  get synced(): boolean {
    return this.#synced;
  }

  apply(event: StoreEvent): void {
    switch (event.type) {
      case 'snapshot':
        this.#applySnapshot(event.entries);
        this.#synced = true;
        return;
      case 'put': {
        if (!this.#newer(event.key, event.revision)) return;
        const request = decodeRequest(event.value);
        if (request) this.#add(request, event.revision);
        return;
      }
      case 'removed': {
        if (!this.#newer(event.key, event.revision)) return;
        const reason = decodeRemoval(event.reason);
        this.#end(event.key, reason?.outcome ?? 'cancelled', reason?.atMs ?? this.#options.now());
        return;
      }
      case 'expired':
        if (!this.#newer(event.key, event.revision)) return;
        this.#end(event.key, 'expired', this.#options.now());
        return;
    }
  }

  /**
   * A request this replica has just written at `revision`: the same as the `put` event its watch
   * delivers later (which is then dropped as not newer), without decoding the value it encoded.
   */
  applyCreated(request: CallInRequest, revision: number): void {
    if (!this.#newer(request.key, revision)) return;
    this.#add(request, revision);
  }

  /** Live requests of a group, oldest first; those past their expiry are left out. */
  liveRequests(groupName: string): CallInRequest[] {
    const now = this.#options.now();
    const out: CallInRequest[] = [];
    for (const { request } of this.#byKey.values()) {
      if (request.groupName === groupName && request.expiresAtMs > now) out.push(request);
    }
    return out.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** Numbers of the group that hold at least one request, as far as this replica knows. */
  busyCount(groupName: string): number {
    return this.#byGroupNumber.get(groupName)?.size ?? 0;
  }

  /** Whether a request this replica knows of holds the number and has not yet passed its expiry. */
  isNumberBusy(groupName: string, number: string): boolean {
    const now = this.#options.now();
    for (const key of this.#byGroupNumber.get(groupName)?.get(number) ?? []) {
      if ((this.#byKey.get(key)?.request.expiresAtMs ?? 0) > now) return true;
    }
    return false;
  }

  /** Whether this caller already holds a live request on this number of the group. */
  callerHolds(groupName: string, number: string, callerNumber: string): boolean {
    for (const key of this.#byGroupNumber.get(groupName)?.get(number) ?? []) {
      const r = this.#byKey.get(key)?.request;
      if (r && r.callerNumber === callerNumber && r.expiresAtMs > this.#options.now()) return true;
    }
    return false;
  }

  /** Live requests on a dialled number, all groups. */
  onNumber(number: string): Array<{ request: CallInRequest; revision: number }> {
    return [...(this.#byNumber.get(number) ?? [])]
      .map((k) => this.#byKey.get(k))
      .filter((l): l is Live => !!l);
  }

  keyOf(id: string): string | undefined {
    return this.#byId.get(id);
  }

  /** Milliseconds until the group's earliest live request expires, if it has any. */
  nextExpiryInMs(groupName: string): number | undefined {
    const now = this.#options.now();
    let min: number | undefined;
    for (const { request } of this.#byKey.values()) {
      if (request.groupName !== groupName) continue;
      const left = Math.max(0, request.expiresAtMs - now);
      if (min === undefined || left < min) min = left;
    }
    return min;
  }

  historyOf(id: string): HistoryRecord | undefined {
    return this.#history.get(id);
  }

  history(groupName: string): HistoryRecord[] {
    this.#prune();
    return [...this.#history.values()].filter((h) => h.request.groupName === groupName);
  }

  /** Groups that hold live requests, with how many (for metrics). */
  liveCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { request } of this.#byKey.values()) {
      counts.set(request.groupName, (counts.get(request.groupName) ?? 0) + 1);
    }
    return counts;
  }

  #newer(key: string, revision: number): boolean {
    const known = this.#revisions.get(key);
    if (known !== undefined && known >= revision) return false;
    this.#revisions.set(key, revision);
    return true;
  }

  #applySnapshot(entries: StoreEntry[]): void {
    const seen = new Set<string>();
    for (const e of entries) {
      seen.add(e.key);
      const known = this.#byKey.get(e.key);
      if (known && known.revision >= e.revision) continue;
      if (known) this.#drop(e.key);
      this.#revisions.set(e.key, e.revision);
      const request = decodeRequest(e.value);
      if (request) this.#add(request, e.revision);
    }
    const now = this.#options.now();
    for (const [key, live] of [...this.#byKey]) {
      if (seen.has(key)) continue;
      if (live.request.expiresAtMs <= now) this.#end(key, 'expired', now);
      else this.#drop(key);
    }
  }

  #add(full: CallInRequest, revision: number): void {
    // userData (up to the body limit) is read from the store when needed, never kept here.
    const { userData: _userData, ...request } = full;
    if (this.#byKey.has(request.key)) this.#drop(request.key);
    this.#byKey.set(request.key, { request, revision });
    this.#byId.set(request.id, request.key);
    let numbers = this.#byGroupNumber.get(request.groupName);
    if (!numbers) this.#byGroupNumber.set(request.groupName, (numbers = new Map()));
    addTo(numbers, request.number, request.key);
    addTo(this.#byNumber, request.number, request.key);
    if (!this.#history.has(request.id)) {
      this.#history.set(request.id, {
        request,
        events: [{ type: 'created', atMs: request.createdAtMs }],
        lastEventAtMs: request.createdAtMs,
      });
      this.#prune();
    }
  }

  #end(key: string, outcome: RequestOutcome, atMs: number): void {
    const live = this.#drop(key);
    if (!live) return;
    const h = this.#history.get(live.request.id);
    if (h && !h.outcome) {
      const at =
        outcome === 'expired' ? Math.min(atMs, Math.max(live.request.expiresAtMs, h.lastEventAtMs)) : atMs;
      h.events.push({ type: outcome, atMs: at });
      h.outcome = outcome;
      h.lastEventAtMs = at;
    }
    this.#options.onEnded?.(live.request, outcome);
  }

  #drop(key: string): Live | undefined {
    const live = this.#byKey.get(key);
    if (!live) return undefined;
    this.#byKey.delete(key);
    this.#byId.delete(live.request.id);
    const numbers = this.#byGroupNumber.get(live.request.groupName);
    if (numbers) {
      removeFrom(numbers, live.request.number, key);
      if (numbers.size === 0) this.#byGroupNumber.delete(live.request.groupName);
    }
    removeFrom(this.#byNumber, live.request.number, key);
    return live;
  }

  #prune(): void {
    const { historyMaxEntries, historyMs, now } = this.#options;
    while (this.#history.size > historyMaxEntries) {
      const oldest = this.#history.keys().next().value;
      if (oldest === undefined) break;
      this.#history.delete(oldest);
    }
    // Oldest first (insertion order is creation order): stop at the first one created after the cutoff.
    const cutoff = now() - historyMs;
    for (const [id, h] of this.#history) {
      if (h.request.createdAtMs >= cutoff) break;
      if (h.outcome && h.lastEventAtMs < cutoff) this.#history.delete(id);
    }
    // Revisions of keys that are no longer live only guard against stale events for a short while.
    if (this.#revisions.size > 4 * (this.#byKey.size + 1024)) {
      for (const key of this.#revisions.keys()) if (!this.#byKey.has(key)) this.#revisions.delete(key);
    }
  }
}

function addTo(index: Map<string, Set<string>>, k: string, key: string): void {
  let set = index.get(k);
  if (!set) index.set(k, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, k: string, key: string): void {
  const set = index.get(k);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(k);
}
