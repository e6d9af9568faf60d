/**
 * Token buckets per client (API key name, or address in open mode): `ratePerSecond` sustained,
 * `burst` at once. Buckets that have refilled are forgotten, so memory follows active clients.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  #lastSweepMs = 0;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(client: string): number {
    if (!this.enabled) return 0;
    const now = this.#now();
    this.#sweep(now);
    const b = this.#buckets.get(client) ?? { tokens: this.#burst, atMs: now };
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.atMs) / 1000) * this.#rate);
    b.atMs = now;
    this.#buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#rate));
  }

  #sweep(now: number): void {
    if (now - this.#lastSweepMs < 10_000) return;
    this.#lastSweepMs = now;
    const fullAfterMs = (this.#burst / this.#rate) * 1000;
    for (const [k, b] of this.#buckets) if (now - b.atMs > fullAfterMs) this.#buckets.delete(k);
  }
}
