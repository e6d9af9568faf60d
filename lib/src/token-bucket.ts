export interface TokenBucketLimits {
  /** Tokens added per second, the sustained rate. */
  ratePerSecond: number;
  /** Most tokens the bucket holds, the burst it allows at once. */
  burst: number;
}

/**
 * A token bucket that starts full and refills continuously, up to its burst. The caller passes the
 * time to each call, so the bucket holds no clock and is tested without timers.
 *
 * Two ways to spend: `tryTake` takes a token only when one is there (a refused request costs
 * nothing), `reserve` always takes one and may leave the bucket in debt (each reservation waits
 * longer than the one before, as client-go's rate limiter does).
 */
export class TokenBucket {
  readonly #limits: TokenBucketLimits;
  #tokens: number;
  #atMs: number;

  constructor(limits: TokenBucketLimits, nowMs: number) {
    this.#limits = limits;
    this.#tokens = limits.burst;
    this.#atMs = nowMs;
  }

  /** The time of the last `tryTake` or `reserve`, refused or not. */
  get updatedAtMs(): number {
    return this.#atMs;
  }

  /** Takes a token if there is one: returns 0, or else the seconds until one is there (none taken). */
  tryTake(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return (1 - this.#tokens) / this.#limits.ratePerSecond;
  }

  /** Takes a token, in debt if need be: returns the seconds until the debt is paid back (0: none). */
  reserve(nowMs: number): number {
    this.#refill(nowMs);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : -this.#tokens / this.#limits.ratePerSecond;
  }

  #refill(nowMs: number): void {
    const { burst, ratePerSecond } = this.#limits;
    this.#tokens = Math.min(burst, this.#tokens + ((nowMs - this.#atMs) / 1000) * ratePerSecond);
    this.#atMs = nowMs;
  }
}
