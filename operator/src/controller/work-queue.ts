import { TokenBucket } from '#lib/token-bucket';

/**
 * A work queue in the manner of client-go's: keys are de-duplicated while they wait, a key being
 * processed is never handed out again until `done` (a re-add meanwhile is remembered and served after),
 * failed keys come back after a per-key exponential backoff, and all rate-limited re-adds share a
 * token bucket so that a storm of failures cannot flood the API server.
 */
export interface WorkQueueOptions {
  /** First retry delay of a failing key (default 5 ms); doubles per failure. */
  baseDelayMs?: number;
  /** Cap of the per-key delay (default 5 min). */
  maxDelayMs?: number;
  /** Overall rate of rate-limited re-adds, per second (default 10). */
  ratePerSecond?: number;
  /** Burst of the overall rate (default 100). */
  burst?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #now: () => number;
  /** Shared by every rate-limited re-add; it may go into debt, which delays the re-adds after. */
  readonly #bucket: TokenBucket;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 300_000;
    this.#now = options.now ?? Date.now;
    this.#bucket = new TokenBucket(
      { ratePerSecond: options.ratePerSecond ?? 10, burst: options.burst ?? 100 },
      this.#now(),
    );
  }

  /** Keys waiting to be handed out (not those in progress or waiting for a delay). */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys waiting for their delay to pass. */
  get delayed(): number {
    return this.#timers.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Queues `key` unless it already waits; a key in progress is queued again once it is done. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
    } else {
      this.#queue.push(key);
    }
  }

  /** Queues `key` after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.#now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Queues `key` after its backoff (which grows with each call until `forget`) and the shared rate limit. */
  addRateLimited(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const backoff = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** failures);
    const delay = Math.max(backoff, this.#reserveToken());
    this.addAfter(key, delay);
    return delay;
  }

  /** Times `key` was re-added with `addRateLimited` since the last `forget`. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears the backoff of `key` (after a success, or when it should not be retried). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The next key, waiting for one if needed; `undefined` once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` as processed; if it was re-added meanwhile, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  /** Stops handing out keys: waiting `get` calls resolve `undefined`, delayed keys are dropped. */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  #reserveToken(): number {
    return Math.ceil(this.#bucket.reserve(this.#now()) * 1000);
  }
}
