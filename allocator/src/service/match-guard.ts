import {
  afterFailure,
  decodeGuard,
  encodeGuard,
  guardKey,
  guardTtlSeconds,
  lockOf,
  type FailureResult,
  type GuardLock,
  type GuardState,
  type MatchGuardPolicy,
} from '../domain/index.ts';
import { StoreCode, StoreError, type CoordinationStore } from '../store/index.ts';

/** How often a failure is retried when another replica updated the record at the same time. */
const MAX_WRITE_ATTEMPTS = 8;

/**
 * The failed-match limits (domain/match-guard.ts) kept in the coordination store, so that every
 * replica counts the same failures: one record per dialled number, updated by compare-and-set.
 */
export class MatchGuard {
  readonly #store: CoordinationStore;
  readonly #policy: MatchGuardPolicy;
  readonly #now: () => number;

  constructor(store: CoordinationStore, policy: MatchGuardPolicy, now: () => number) {
    this.#store = store;
    // A limit of 0 turns that limit off.
    this.#policy = {
      ...policy,
      failuresPerNumber: policy.failuresPerNumber > 0 ? policy.failuresPerNumber : Number.POSITIVE_INFINITY,
      failuresPerRequest:
        policy.failuresPerRequest > 0 ? policy.failuresPerRequest : Number.POSITIVE_INFINITY,
    };
    this.#now = now;
  }

  get enabled(): boolean {
    return (
      Number.isFinite(this.#policy.failuresPerNumber) || Number.isFinite(this.#policy.failuresPerRequest)
    );
  }

  /** The number's record, to be read beside the slot keys of a match. */
  async read(dialledNumber: string): Promise<GuardState | undefined> {
    if (!this.enabled) return undefined;
    const entry = await this.#store.get(guardKey(dialledNumber));
    return entry ? decodeGuard(entry.value) : undefined;
  }

  lockOf(state: GuardState | undefined, requestId?: string): GuardLock {
    return lockOf(state, this.#now(), this.#policy, requestId);
  }

  /** Counts one failed match on the number (and on the request it identified, if any). */
  async recordFailure(
    dialledNumber: string,
    request?: { id: string; expiresAtMs: number },
  ): Promise<FailureResult | undefined> {
    if (!this.enabled) return undefined;
    const key = guardKey(dialledNumber);
    const policy = this.#policy;
    for (let attempt = 1; ; attempt++) {
      const entry = await this.#store.get(key);
      const now = this.#now();
      const result = afterFailure(entry ? decodeGuard(entry.value) : undefined, now, policy, request);
      const value = encodeGuard(result.state);
      const ttl = guardTtlSeconds(result.state, now, policy);
      try {
        if (entry) await this.#store.replace(key, value, entry.revision, ttl);
        else await this.#store.create(key, value, ttl);
        return result;
      } catch (err) {
        const raced =
          err instanceof StoreError && (err.code === StoreCode.Conflict || err.code === StoreCode.KeyExists);
        if (!raced || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      }
    }
  }
}
