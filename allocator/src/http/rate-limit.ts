import { TokenBucket, type TokenBucketLimits } from '#lib/token-bucket';

/**
 * Token buckets per client (API key name, or address in open mode): `ratePerSecond` sustained,
 * `burst` at once. Buckets that have refilled are forgotten, so memory follows active clients.
 */
export class RateLimiter {
  readonly #limits: TokenBucketLimits;
  readonly #now: () => number;
  readonly #buckets = new Map<string, TokenBucket>();
  #lastSweepMs = 0;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#limits = { ratePerSecond, burst: Math.max(1, burst) };
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#limits.ratePerSecond > 0;
  }

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(client: string): number {
    if (!this.enabled) return 0;
    const now = this.#now();
    this.#sweep(now);
    let bucket = this.#buckets.get(client);
    if (!bucket) this.#buckets.set(client, (bucket = new TokenBucket(this.#limits, now)));
    const waitSeconds = bucket.tryTake(now);
    return waitSeconds === 0 ? 0 : Math.max(1, Math.ceil(waitSeconds));
  }

  #sweep(now: number): void {
    if (now - this.#lastSweepMs < 10_000) return;
    this.#lastSweepMs = now;
    const fullAfterMs = (this.#limits.burst / this.#limits.ratePerSecond) * 1000;
    for (const [k, b] of this.#buckets) if (now - b.updatedAtMs > fullAfterMs) this.#buckets.delete(k);
  }
}
