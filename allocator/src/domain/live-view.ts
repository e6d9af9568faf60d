import type { RecordedSlotChange, SlotEntry, SlotEvent } from './slot-events.ts';
import {
  busyUntilMs,
  decodeRemoval,
  decodeRequest,
  withoutUserData,
  type CallInRequest,
  type RemovalReason,
  type RequestOutcome,
} from './call-in-request.ts';

export interface HistoryEvent {
  type: 'created' | RequestOutcome;
  atMs: number;
}

/** What this replica knows of one request: live until `outcome` is set. */
export interface HistoryRecord {
  readonly request: CallInRequest;
  /** Set once the request has ended. */
  readonly outcome?: RequestOutcome;
  readonly endedAtMs?: number;
}

/** The request's events, oldest first: created, then how it ended (if it has). */
export function historyEvents(h: HistoryRecord): HistoryEvent[] {
  const created: HistoryEvent = { type: 'created', atMs: h.request.createdAtMs };
  return h.outcome && h.endedAtMs !== undefined
    ? [created, { type: h.outcome, atMs: h.endedAtMs }]
    : [created];
}

export interface LiveViewOptions {
  now: () => number;
  /** How long an ended request stays in the history. */
  historyMs: number;
  /** At most this many ended requests in the history (the earliest ended dropped first). */
  historyMaxEntries: number;
  /** Told once per request end observed, whichever replica caused it. */
  onEnded?: (request: CallInRequest, outcome: RequestOutcome) => void;
  /**
   * How long after a key's TTL ran out the store may still hold it (NATS removes expired messages
   * on a timer of about a second; the memory store at once): numbers stay busy for it, so creates
   * are not sent to keys the store still refuses. Default 0.
   */
  ttlLagMs?: number;
  /**
   * The keys the store's watch covers (default: all): a snapshot settles which of those are live,
   * and leaves the others, which the view learns of from the records, as they are.
   */
  watches?: (key: string) => boolean;
}

/** One request: the view's live entry and, once ended, its history record. */
interface Known {
  request: CallInRequest;
  /** Revision of the write that created it. */
  revision: number;
  /** When this view learned of it, relative to the others: orders requests created in the same ms. */
  arrival: number;
  outcome?: RequestOutcome;
  endedAtMs?: number;
}

/** A slot key kept as a cooling marker after its request ended: taken until `untilMs`. */
interface Cooling {
  key: string;
  groupName: string;
  number: string;
  callerNumber?: string;
  untilMs: number;
}

/** When a caller last got a number of a group (for stickiness). */
export interface CallerLastNumber {
  number: string;
  atMs: number;
}

/** How long the revision of an ended key is remembered to drop events older than the end. */
const ENDED_REVISION_MEMORY_MS = 30_000;

/**
 * This replica's picture of the live requests of every group, kept from the store's watch, and the
 * history of what happened to each request since this replica started. The store decides; this view
 * only steers choices (which number to try) and answers reads.
 *
 * One object per request serves every index (by key, by id, by group and number) and the history.
 */
export class LiveView {
  readonly #options: LiveViewOptions;
  readonly #liveByKey = new Map<string, Known>();
  readonly #liveById = new Map<string, Known>();
  /** group → number → live requests on it */
  readonly #byGroupNumber: OnNumberIndex<Known> = new Map();
  /** Ended requests, in the order they ended. */
  readonly #ended = new Map<string, Known>();
  /** Slot keys cooling down after their request ended, by key and by group and number. */
  readonly #coolingByKey = new Map<string, Cooling>();
  readonly #coolingByGroupNumber: OnNumberIndex<Cooling> = new Map();
  /** group → number → when it was last handed out, least recently first (Map order). */
  readonly #lastHandedOut = new Map<string, Map<string, number>>();
  /** `group\0caller` → the caller's last number, least recent first (Map order). */
  readonly #lastByCaller = new Map<string, CallerLastNumber>();
  /**
   * Revisions at which keys ended, in two generations swapped every ENDED_REVISION_MEMORY_MS: a late
   * event for an ended key (the watch echo of this replica's own create) is recognised as stale.
   */
  #endedRevisions = new Map<string, number>();
  #olderEndedRevisions = new Map<string, number>();
  #generationStartedMs: number;
  /** group → how many times a request or cooling key left one of its numbers (what can free one) */
  readonly #frees = new Map<string, number>();
  /** group → outcome → requests seen ending since this view started */
  readonly #endCounts = new Map<string, Map<RequestOutcome, number>>();
  #synced = false;
  #arrivals = 0;
  readonly #ttlLagMs: number;

  constructor(options: LiveViewOptions) {
    this.#options = options;
    this.#ttlLagMs = options.ttlLagMs ?? 0;
    this.#generationStartedMs = options.now();
  }

  get synced(): boolean {
    return this.#synced;
  }

  apply(event: SlotEvent): void {
    switch (event.type) {
      case 'snapshot':
        this.#applySnapshot(event.entries);
        this.#synced = true;
        return;
      case 'put': {
        if (this.knows(event.key, event.revision)) return;
        const request = decodeRequest(event.value);
        if (request) this.#add(request, event.revision);
        else this.#cooled(event.key, event.revision, decodeRemoval(event.value), true);
        return;
      }
      case 'removed': {
        if (this.knows(event.key, event.revision)) return;
        const reason = decodeRemoval(event.reason);
        this.#removed(event.key, event.revision, reason, reason?.atMs ?? this.#options.now(), true);
        return;
      }
      case 'expired':
        if (this.knows(event.key, event.revision)) return;
        this.#end(event.key, event.revision, 'expired', this.#options.now());
        return;
    }
  }

  /**
   * A change from the store's records: replayed when the replica starts, so that its history holds
   * what happened before it started, the same on every replica (dated by the store, not counted as
   * an end seen now: apply that replay before the watch's snapshot, which then settles which
   * requests are still live); and read since, to learn of the keys the watch does not cover (with
   * `seenNow`: their ends are counted as seen now).
   */
  applyRecorded(change: RecordedSlotChange, seenNow = false): void {
    const live = this.#liveByKey.get(change.key);
    switch (change.type) {
      case 'put': {
        // Known: this view's own write, or a key it has seen end since (from the watch).
        if (this.knows(change.key, change.revision)) return;
        const request = decodeRequest(change.value);
        if (request && !this.#ended.has(request.id)) this.#add(request, change.revision);
        else if (!request) this.#cooled(change.key, change.revision, decodeRemoval(change.value), seenNow);
        return;
      }
      case 'removed': {
        const reason = decodeRemoval(change.reason);
        const atMs = reason?.atMs ?? change.atMs;
        if (!live || live.revision < change.revision)
          this.#removed(change.key, change.revision, reason, atMs, seenNow);
        // The removal of an earlier request on a key that holds a newer one now.
        else if (reason && reason.id !== live.request.id)
          this.#recordEnded(reason, change.revision, atMs, seenNow);
        return;
      }
      case 'expired':
        if (live && live.revision < change.revision)
          this.#end(change.key, change.revision, 'expired', change.atMs, seenNow);
        // The cooling marker's own TTL ran out: the key is free.
        else if (!live) this.#uncool(change.key);
        return;
    }
  }

  /**
   * A request this replica has just written at `revision`: the same as the `put` event its watch
   * delivers later (which is then skipped as known), without decoding the value it encoded. Pass it
   * without userData: the view never holds userData, and would have to copy the request to drop it.
   */
  applyCreated(request: CallInRequest, revision: number): void {
    if (this.knows(request.key, revision)) return;
    this.#add(request, revision);
  }

  /** Whether the view already reflects `revision` (or a later one) of `key`. */
  knows(key: string, revision: number): boolean {
    const known =
      this.#liveByKey.get(key)?.revision ??
      this.#endedRevisions.get(key) ??
      this.#olderEndedRevisions.get(key);
    return known !== undefined && known >= revision;
  }

  /** Live requests of a group, oldest first; those past their expiry are left out. */
  liveRequests(groupName: string): CallInRequest[] {
    const now = this.#options.now();
    const out: Known[] = [];
    for (const known of this.#liveOf(groupName)) {
      if (known.request.expiresAtMs > now) out.push(known);
    }
    return out.sort(oldestFirst).map((k) => k.request);
  }

  /** Numbers of the group that hold at least one request, as far as this replica knows. */
  busyCount(groupName: string): number {
    return this.#byGroupNumber.get(groupName)?.size ?? 0;
  }

  /**
   * A count that grows each time a number of the group may have been freed (a request or a cooling
   * key left it). While it stands still, only time frees a number (see {@link nextFreeAtMs}).
   */
  freedCount(groupName: string): number {
    return this.#frees.get(groupName) ?? 0;
  }

  /** Whether a request this replica knows of holds the number and has not yet passed its expiry. */
  isNumberBusy(groupName: string, number: string): boolean {
    const now = this.#options.now() - this.#ttlLagMs;
    for (const known of this.#byGroupNumber.get(groupName)?.get(number) ?? [])
      if (busyUntilMs(known.request) > now) return true;
    for (const cooling of this.#coolingByGroupNumber.get(groupName)?.get(number) ?? [])
      if (cooling.untilMs > now) return true;
    return false;
  }

  /** Whether this caller already holds a live request on this number of the group. */
  callerHolds(groupName: string, number: string, callerNumber: string): boolean {
    const now = this.#options.now() - this.#ttlLagMs;
    for (const { request } of this.#byGroupNumber.get(groupName)?.get(number) ?? []) {
      if (request.callerNumber === callerNumber && busyUntilMs(request) > now) return true;
    }
    for (const cooling of this.#coolingByGroupNumber.get(groupName)?.get(number) ?? [])
      if (cooling.callerNumber === callerNumber && cooling.untilMs > now) return true;
    return false;
  }

  /** How many numbers of the group are cooling down after a request on them ended. */
  coolingCount(groupName: string): number {
    const now = this.#options.now();
    let n = 0;
    for (const onNumber of this.#coolingByGroupNumber.get(groupName)?.values() ?? []) {
      for (const cooling of onNumber) {
        if (cooling.untilMs > now) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /**
   * The group's numbers in the order they were last handed out, least recently first, with when
   * (ms); a number this view never saw handed out is not in it.
   */
  handedOutOrder(groupName: string): ReadonlyMap<string, number> | undefined {
    return this.#lastHandedOut.get(groupName);
  }

  /** The number the caller last got in the group, and when, while the history reaches back to it. */
  lastNumberOf(groupName: string, callerNumber: string): CallerLastNumber | undefined {
    return this.#lastByCaller.get(`${groupName}\0${callerNumber}`);
  }

  /** Live requests on a dialled number, all groups. */
  onNumber(number: string): Array<{ request: CallInRequest; revision: number }> {
    const out: Known[] = [];
    for (const numbers of this.#byGroupNumber.values()) {
      for (const known of numbers.get(number) ?? []) out.push(known);
    }
    return out;
  }

  keyOf(id: string): string | undefined {
    return this.#liveById.get(id)?.request.key;
  }

  /**
   * Milliseconds until the group's earliest live request expires, if it has any; with `counts`, only
   * requests on the numbers it accepts (e.g. those automatic selection may hand out).
   */
  nextExpiryInMs(groupName: string, counts?: (number: string) => boolean): number | undefined {
    const now = this.#options.now();
    const earliest = this.#earliestBusyUntil(groupName, now, counts);
    return earliest === undefined ? undefined : Math.max(0, earliest - now);
  }

  /**
   * When the first of the group's numbers busy at `fromMs` (default: now) stops being busy as
   * {@link isNumberBusy} sees it (its expiry and the store's TTL lag past), if any does; with
   * `counts`, only the numbers it accepts.
   */
  nextFreeAtMs(
    groupName: string,
    counts?: (number: string) => boolean,
    fromMs = this.#options.now(),
  ): number | undefined {
    const earliest = this.#earliestBusyUntil(groupName, fromMs - this.#ttlLagMs, counts);
    return earliest === undefined ? undefined : earliest + this.#ttlLagMs;
  }

  /** The earliest end of a busy time after `afterMs` among the group's live requests and cooling keys. */
  #earliestBusyUntil(
    groupName: string,
    afterMs: number,
    counts: ((number: string) => boolean) | undefined,
  ): number | undefined {
    let earliest: number | undefined;
    for (const { request } of this.#liveOf(groupName)) {
      if (counts && !counts(request.number)) continue;
      const until = busyUntilMs(request);
      if (until > afterMs && (earliest === undefined || until < earliest)) earliest = until;
    }
    for (const onNumber of this.#coolingByGroupNumber.get(groupName)?.values() ?? []) {
      for (const { number, untilMs } of onNumber) {
        if (counts && !counts(number)) continue;
        if (untilMs > afterMs && (earliest === undefined || untilMs < earliest)) earliest = untilMs;
      }
    }
    return earliest;
  }

  /**
   * Milliseconds until a live request on this number of the group expires (the earliest; with
   * `callerNumber`, that caller's), if this replica knows of one.
   */
  nextExpiryOnNumberInMs(groupName: string, number: string, callerNumber?: string): number | undefined {
    const now = this.#options.now();
    let earliest: number | undefined;
    for (const { request } of this.#byGroupNumber.get(groupName)?.get(number) ?? []) {
      const until = busyUntilMs(request);
      if (until <= now) continue;
      if (callerNumber !== undefined && request.callerNumber !== callerNumber) continue;
      if (earliest === undefined || until < earliest) earliest = until;
    }
    for (const cooling of this.#coolingByGroupNumber.get(groupName)?.get(number) ?? []) {
      if (cooling.untilMs <= now) continue;
      if (callerNumber !== undefined && cooling.callerNumber !== callerNumber) continue;
      if (earliest === undefined || cooling.untilMs < earliest) earliest = cooling.untilMs;
    }
    return earliest === undefined ? undefined : earliest - now;
  }

  historyOf(id: string): HistoryRecord | undefined {
    this.#prune();
    const live = this.#liveById.get(id);
    return live ? this.#asRecord(live, this.#options.now()) : this.#ended.get(id);
  }

  /** Live and remembered ended requests of a group, oldest first. */
  history(groupName: string): HistoryRecord[] {
    this.#prune();
    const now = this.#options.now();
    const out: Known[] = [];
    for (const known of this.#liveOf(groupName)) out.push(this.#asRecord(known, now));
    for (const known of this.#ended.values()) if (known.request.groupName === groupName) out.push(known);
    return out.sort(oldestFirst);
  }

  /** Every record this view holds: live requests and remembered ended ones. */
  *records(): Generator<HistoryRecord> {
    this.#prune();
    const now = this.#options.now();
    for (const known of this.#liveById.values()) yield this.#asRecord(known, now);
    yield* this.#ended.values();
  }

  /**
   * A request whose key is still held past its expiry (its cool-down, or the moment before the
   * store's TTL removes it) is recorded as expired when it expired.
   */
  #asRecord(known: Known, now: number): Known {
    const { request } = known;
    if (known.outcome !== undefined || request.expiresAtMs > now) return known;
    return { ...known, outcome: 'expired', endedAtMs: Math.max(request.expiresAtMs, request.createdAtMs) };
  }

  /** Groups that hold live requests, with how many (for metrics). */
  liveCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [groupName, numbers] of this.#byGroupNumber) {
      let n = 0;
      for (const onNumber of numbers.values()) n += onNumber.size;
      counts.set(groupName, n);
    }
    return counts;
  }

  /**
   * Requests seen ending since this view started, by group and outcome, whichever replica ended
   * them (for metrics: counts only grow).
   */
  endCounts(): ReadonlyMap<string, ReadonlyMap<RequestOutcome, number>> {
    return this.#endCounts;
  }

  *#liveOf(groupName: string): Generator<Known> {
    for (const onNumber of this.#byGroupNumber.get(groupName)?.values() ?? []) yield* onNumber;
  }

  #applySnapshot(entries: SlotEntry[]): void {
    const watches = this.#options.watches;
    const seen = new Set<string>();
    for (const e of entries) {
      seen.add(e.key);
      if (this.knows(e.key, e.revision)) continue;
      const request = decodeRequest(e.value);
      if (request) this.#add(request, e.revision);
      else this.#cooled(e.key, e.revision, decodeRemoval(e.value), false);
    }
    for (const key of [...this.#coolingByKey.keys()])
      if (!seen.has(key) && (watches?.(key) ?? true)) this.#uncool(key);
    const now = this.#options.now();
    for (const [key, known] of [...this.#liveByKey]) {
      if (seen.has(key) || !(watches?.(key) ?? true)) continue;
      if (known.request.expiresAtMs <= now) this.#end(key, known.revision, 'expired', now);
      else this.#unindex(known);
    }
  }

  #add(full: CallInRequest, revision: number): void {
    // userData (up to the body limit) is read from the store when needed, never kept here.
    const request = withoutUserData(full);
    const previous = this.#liveByKey.get(request.key);
    if (previous) this.#unindex(previous);
    this.#uncool(request.key);
    this.#handedOut(request);
    const known: Known = { request, revision, arrival: this.#arrivals++ };
    this.#liveByKey.set(request.key, known);
    this.#liveById.set(request.id, known);
    addOnNumber(this.#byGroupNumber, request.groupName, request.number, known);
  }

  /**
   * A removal: ends the live request on the key, or, when this view never saw that request (its
   * message was replaced before the watch delivered it, or it predates this replica), records it from
   * the copy the removal carries.
   */
  #removed(
    key: string,
    revision: number,
    reason: RemovalReason | null,
    atMs: number,
    seenNow: boolean,
  ): void {
    const live = this.#liveByKey.get(key);
    if (live || !reason) {
      this.#end(key, revision, reason?.outcome ?? 'cancelled', atMs, seenNow);
      return;
    }
    this.#rememberEnd(key, revision);
    this.#recordEnded(reason, revision, atMs, seenNow);
  }

  /** An ended request known only from the copy its removal marker carries. */
  #recordEnded(reason: RemovalReason, revision: number, atMs: number, seenNow: boolean): void {
    if (!reason.request || this.#ended.has(reason.id)) return;
    const known: Known = {
      request: withoutUserData(reason.request),
      revision,
      arrival: this.#arrivals++,
      outcome: reason.outcome,
      endedAtMs: atMs,
    };
    this.#ended.set(reason.id, known);
    this.#prune();
    if (seenNow) this.#seenEnding(known.request, reason.outcome);
  }

  #end(key: string, revision: number, outcome: RequestOutcome, atMs: number, seenNow = true): void {
    this.#rememberEnd(key, revision);
    this.#uncool(key);
    const known = this.#liveByKey.get(key);
    if (!known) return;
    this.#unindex(known);
    // An expiry is dated when the request expired, unless it is seen before that (clock skew).
    known.endedAtMs =
      outcome === 'expired'
        ? Math.min(atMs, Math.max(known.request.expiresAtMs, known.request.createdAtMs))
        : atMs;
    known.outcome = outcome;
    this.#ended.set(known.request.id, known);
    this.#prune();
    if (seenNow) this.#seenEnding(known.request, outcome);
  }

  /**
   * A put that is not a request: a cooling marker ends the request on the key (as a removal would)
   * and keeps the key taken until the marker says; anything else is ignored.
   */
  #cooled(key: string, revision: number, reason: RemovalReason | null, seenNow: boolean): void {
    if (reason?.coolsUntilMs === undefined) return;
    const request = this.#liveByKey.get(key)?.request ?? reason.request;
    this.#removed(key, revision, reason, reason.atMs, seenNow);
    if (!request || reason.coolsUntilMs <= this.#options.now() - this.#ttlLagMs) return;
    const cooling: Cooling = {
      key,
      groupName: request.groupName,
      number: request.number,
      untilMs: reason.coolsUntilMs,
    };
    if (request.callerNumber !== undefined) cooling.callerNumber = request.callerNumber;
    this.#coolingByKey.set(key, cooling);
    addOnNumber(this.#coolingByGroupNumber, cooling.groupName, cooling.number, cooling);
  }

  #uncool(key: string): void {
    const cooling = this.#coolingByKey.get(key);
    if (!cooling) return;
    this.#coolingByKey.delete(key);
    deleteOnNumber(this.#coolingByGroupNumber, cooling.groupName, cooling.number, cooling);
    this.#freed(cooling.groupName);
  }

  #freed(groupName: string): void {
    this.#frees.set(groupName, (this.#frees.get(groupName) ?? 0) + 1);
  }

  /** Keeps the order numbers were handed out in, and each caller's last number. */
  #handedOut(request: CallInRequest): void {
    const { groupName, number, createdAtMs, callerNumber } = request;
    let order = this.#lastHandedOut.get(groupName);
    if (!order) this.#lastHandedOut.set(groupName, (order = new Map()));
    const before = order.get(number);
    if (before === undefined || before <= createdAtMs) {
      order.delete(number);
      order.set(number, createdAtMs);
    }
    if (callerNumber === undefined) return;
    const callerKey = `${groupName}\0${callerNumber}`;
    const last = this.#lastByCaller.get(callerKey);
    if (last && last.atMs > createdAtMs) return;
    this.#lastByCaller.delete(callerKey);
    this.#lastByCaller.set(callerKey, { number, atMs: createdAtMs });
    // Kept as far back as the history reaches, and at most as many as it holds.
    const cutoff = this.#options.now() - this.#options.historyMs;
    for (const [k, v] of this.#lastByCaller) {
      if (this.#lastByCaller.size <= this.#options.historyMaxEntries && v.atMs >= cutoff) break;
      this.#lastByCaller.delete(k);
    }
  }

  #seenEnding(request: CallInRequest, outcome: RequestOutcome): void {
    this.#countEnd(request.groupName, outcome);
    this.#options.onEnded?.(request, outcome);
  }

  #countEnd(groupName: string, outcome: RequestOutcome): void {
    let byOutcome = this.#endCounts.get(groupName);
    if (!byOutcome) this.#endCounts.set(groupName, (byOutcome = new Map()));
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }

  #unindex(known: Known): void {
    const { key, id, groupName, number } = known.request;
    this.#liveByKey.delete(key);
    this.#liveById.delete(id);
    deleteOnNumber(this.#byGroupNumber, groupName, number, known);
    this.#freed(groupName);
  }

  #rememberEnd(key: string, revision: number): void {
    const now = this.#options.now();
    if (now - this.#generationStartedMs >= ENDED_REVISION_MEMORY_MS) {
      this.#olderEndedRevisions = this.#endedRevisions;
      this.#endedRevisions = new Map();
      this.#generationStartedMs = now;
    }
    if ((this.#endedRevisions.get(key) ?? -1) < revision) this.#endedRevisions.set(key, revision);
  }

  #prune(): void {
    const { historyMaxEntries, historyMs, now } = this.#options;
    const cutoff = now() - historyMs;
    // In the order they ended: stop at the first one that is recent enough and within the cap.
    for (const [id, known] of this.#ended) {
      if (this.#ended.size <= historyMaxEntries && (known.endedAtMs ?? 0) >= cutoff) break;
      this.#ended.delete(id);
    }
  }
}

/** group → number → items on it: what the live requests and the cooling keys are indexed by. */
type OnNumberIndex<T> = Map<string, Map<string, Set<T>>>;

function addOnNumber<T>(index: OnNumberIndex<T>, groupName: string, number: string, item: T): void {
  let numbers = index.get(groupName);
  if (!numbers) index.set(groupName, (numbers = new Map()));
  let onNumber = numbers.get(number);
  if (!onNumber) numbers.set(number, (onNumber = new Set()));
  onNumber.add(item);
}

/** Removes the item, and the number and the group once nothing is left on them. */
function deleteOnNumber<T>(index: OnNumberIndex<T>, groupName: string, number: string, item: T): void {
  const numbers = index.get(groupName);
  const onNumber = numbers?.get(number);
  if (!numbers || !onNumber) return;
  onNumber.delete(item);
  if (onNumber.size > 0) return;
  numbers.delete(number);
  if (numbers.size === 0) index.delete(groupName);
}

function oldestFirst(a: Known, b: Known): number {
  return a.request.createdAtMs - b.request.createdAtMs || a.arrival - b.arrival;
}
