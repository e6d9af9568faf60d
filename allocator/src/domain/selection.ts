import type { DnisEntry, SelectionStrategy } from '#api';
import { pickFreeNumber } from './pick-number.ts';
import type { RandomSource } from './random.ts';

/**
 * The next number to try of `pool`: one that is neither busy nor already tried, in the order of a
 * selection strategy; undefined when none is left.
 */
export type NumberPicker = (
  pool: readonly DnisEntry[],
  isBusy: (entry: DnisEntry) => boolean,
  tried: ReadonlySet<DnisEntry>,
) => DnisEntry | undefined;

/**
 * Least recently used picks at random among this many of the free numbers that rested longest:
 * replicas that all reached for the single oldest number would collide on nearly every allocation.
 */
export const LRU_CHOICES = 4;

/** From a random start (see pick-number.ts). */
export function randomStart(random: RandomSource): NumberPicker {
  return (pool, isBusy, tried) => pickFreeNumber(pool, isBusy, random, tried);
}

/**
 * The strategies' pickers, with what each remembers per pool (this replica's round-robin position,
 * the numbers of a pool never yet handed out). Pools are the group's arrays, replaced whenever the
 * group is, so the memory goes with them.
 */
export class Selector {
  readonly #random: RandomSource;
  readonly #handedOutOrder: (groupName: string) => ReadonlyMap<string, number> | undefined;
  readonly #next = new WeakMap<readonly DnisEntry[], { index: number }>();
  readonly #pools = new WeakMap<readonly DnisEntry[], LruPool>();
  readonly #randomPicker: NumberPicker;

  /**
   * `handedOutOrder` gives a group's numbers least recently handed out first (the live view's
   * `handedOutOrder`), the same on every replica once their views agree.
   */
  constructor(
    random: RandomSource,
    handedOutOrder: (groupName: string) => ReadonlyMap<string, number> | undefined,
  ) {
    this.#random = random;
    this.#handedOutOrder = handedOutOrder;
    this.#randomPicker = randomStart(random);
  }

  picker(groupName: string, strategy: SelectionStrategy): NumberPicker {
    switch (strategy) {
      case 'random':
        return this.#randomPicker;
      case 'roundRobin':
        return (pool, isBusy, tried) => this.#roundRobin(pool, isBusy, tried);
      case 'leastRecentlyUsed':
        return (pool, isBusy, tried) =>
          this.#leastRecentlyUsed(pool, this.#handedOutOrder(groupName), isBusy, tried);
      default:
        return this.#randomPicker;
    }
  }

  /** The first free number after the one this replica picked last (from a random start at first). */
  #roundRobin(
    pool: readonly DnisEntry[],
    isBusy: (entry: DnisEntry) => boolean,
    tried: ReadonlySet<DnisEntry>,
  ): DnisEntry | undefined {
    const n = pool.length;
    if (n === 0) return undefined;
    let next = this.#next.get(pool);
    if (!next) this.#next.set(pool, (next = { index: this.#random.int(n) }));
    for (let i = 0; i < n; i++) {
      const index = (next.index + i) % n;
      const entry = pool[index] as DnisEntry;
      if (tried.has(entry) || isBusy(entry)) continue;
      next.index = (index + 1) % n;
      return entry;
    }
    return undefined;
  }

  /**
   * One of the LRU_CHOICES free numbers handed out longest ago: numbers never handed out first (in
   * pool order), then by when they last were.
   */
  #leastRecentlyUsed(
    pool: readonly DnisEntry[],
    order: ReadonlyMap<string, number> | undefined,
    isBusy: (entry: DnisEntry) => boolean,
    tried: ReadonlySet<DnisEntry>,
  ): DnisEntry | undefined {
    let lru = this.#pools.get(pool);
    if (!lru) this.#pools.set(pool, (lru = new LruPool(pool, order)));
    const choices = lru.oldestFree(order, isBusy, tried, LRU_CHOICES);
    return choices.length <= 1 ? choices[0] : choices[this.#random.int(choices.length)];
  }
}

/** A pool as least recently used reads it: by number, and which numbers were never handed out. */
class LruPool {
  readonly #byNumber = new Map<string, DnisEntry>();
  /** Numbers not handed out when this was built, in pool order; those handed out since are skipped. */
  readonly #neverHandedOut: DnisEntry[] = [];
  #cursor = 0;

  constructor(pool: readonly DnisEntry[], order: ReadonlyMap<string, number> | undefined) {
    for (const entry of pool) {
      this.#byNumber.set(entry.number, entry);
      if (!order?.has(entry.number)) this.#neverHandedOut.push(entry);
    }
  }

  /** Up to `count` free numbers, those that rested longest first. */
  oldestFree(
    order: ReadonlyMap<string, number> | undefined,
    isBusy: (entry: DnisEntry) => boolean,
    tried: ReadonlySet<DnisEntry>,
    count: number,
  ): DnisEntry[] {
    const out: DnisEntry[] = [];
    const never = this.#neverHandedOut;
    while (this.#cursor < never.length && order?.has((never[this.#cursor] as DnisEntry).number))
      this.#cursor++;
    for (let i = this.#cursor; i < never.length && out.length < count; i++) {
      const entry = never[i] as DnisEntry;
      if (!order?.has(entry.number) && !tried.has(entry) && !isBusy(entry)) out.push(entry);
    }
    if (!order) return out;
    for (const number of order.keys()) {
      if (out.length >= count) break;
      const entry = this.#byNumber.get(number);
      if (entry && !tried.has(entry) && !isBusy(entry)) out.push(entry);
    }
    return out;
  }
}
