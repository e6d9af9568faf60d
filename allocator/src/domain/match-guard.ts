/**
 * Failed-match limits: what stops an attacker from guessing access codes (or caller numbers) by
 * matching calls over and over. One record per dialled number, shared by every replica through the
 * store, counts failed matches on that number and on each request it holds.
 *
 * - Number: `failuresPerNumber` failures within `windowSeconds` lock the number for `lockoutSeconds`;
 *   each further lockout while the record lives doubles that, up to `maxLockoutSeconds`. The record
 *   (and so the doubling) is forgotten `maxLockoutSeconds` after the last lockout ends.
 * - Request: `failuresPerRequest` failures charged to one request (it was identified by its number or
 *   its caller number, and the access code was wrong) lock it until it expires.
 */
export interface MatchGuardPolicy {
  failuresPerNumber: number;
  windowSeconds: number;
  lockoutSeconds: number;
  maxLockoutSeconds: number;
  failuresPerRequest: number;
}

export const DEFAULT_MATCH_GUARD_POLICY: MatchGuardPolicy = {
  failuresPerNumber: 10,
  windowSeconds: 60,
  lockoutSeconds: 30,
  maxLockoutSeconds: 900,
  failuresPerRequest: 5,
};

export interface GuardState {
  windowStartMs: number;
  /** Failures in the current window. */
  failures: number;
  /** Lockouts since the record was created (the backoff exponent). */
  lockouts: number;
  /** 0 when the number is not locked. */
  lockedUntilMs: number;
  /** Failures charged to requests on this number, by request id, until each request expires. */
  requests: Record<string, { failures: number; expiresAtMs: number }>;
}

export type GuardLock =
  | { locked: false }
  | { locked: true; scope: 'number'; retryAfterMs: number }
  | { locked: true; scope: 'request'; retryAfterMs: number };

/** At most this many requests are tracked per number; the ones expiring first are dropped. */
const MAX_TRACKED_REQUESTS = 256;

export const GUARD_PREFIX = 'g.';

/** The store key of a dialled number's guard record. */
export function guardKey(dialledNumber: string): string {
  return `${GUARD_PREFIX}${dialledNumber.replace(/^\+/, '')}`;
}

export function lockOf(
  state: GuardState | undefined,
  nowMs: number,
  policy: MatchGuardPolicy,
  requestId?: string,
): GuardLock {
  if (!state) return { locked: false };
  if (state.lockedUntilMs > nowMs)
    return { locked: true, scope: 'number', retryAfterMs: state.lockedUntilMs - nowMs };
  if (requestId !== undefined) {
    const r = state.requests[requestId];
    if (r && r.expiresAtMs > nowMs && r.failures >= policy.failuresPerRequest)
      return { locked: true, scope: 'request', retryAfterMs: r.expiresAtMs - nowMs };
  }
  return { locked: false };
}

export interface FailureResult {
  state: GuardState;
  /** This failure started a lockout of the number. */
  lockedNumber: boolean;
  /** This failure locked the charged request. */
  lockedRequest: boolean;
}

/** The record after one more failed match, charged to `request` when the call identified one. */
export function afterFailure(
  previous: GuardState | undefined,
  nowMs: number,
  policy: MatchGuardPolicy,
  request?: { id: string; expiresAtMs: number },
): FailureResult {
  const state: GuardState = previous
    ? { ...previous, requests: liveRequests(previous.requests, nowMs) }
    : { windowStartMs: nowMs, failures: 0, lockouts: 0, lockedUntilMs: 0, requests: {} };
  let lockedNumber = false;
  let lockedRequest = false;
  if (state.lockedUntilMs <= nowMs) {
    if (nowMs >= state.windowStartMs + policy.windowSeconds * 1000) {
      state.windowStartMs = nowMs;
      state.failures = 0;
    }
    state.failures += 1;
    if (state.failures >= policy.failuresPerNumber) {
      state.lockouts += 1;
      state.lockedUntilMs = nowMs + lockoutMs(state.lockouts, policy);
      state.windowStartMs = state.lockedUntilMs;
      state.failures = 0;
      lockedNumber = true;
    }
  }
  if (request && request.expiresAtMs > nowMs) {
    const before = state.requests[request.id]?.failures ?? 0;
    state.requests[request.id] = { failures: before + 1, expiresAtMs: request.expiresAtMs };
    lockedRequest = before + 1 === policy.failuresPerRequest;
    trimRequests(state.requests);
  }
  return { state, lockedNumber, lockedRequest };
}

/** The n-th lockout (1-based) lasts lockoutSeconds × 2^(n−1), at most maxLockoutSeconds. */
export function lockoutMs(n: number, policy: MatchGuardPolicy): number {
  const seconds = Math.min(policy.maxLockoutSeconds, policy.lockoutSeconds * 2 ** Math.min(30, n - 1));
  return seconds * 1000;
}

/** How long the store keeps the record: as long as anything in it still matters. */
export function guardTtlSeconds(state: GuardState, nowMs: number, policy: MatchGuardPolicy): number {
  let untilMs = state.windowStartMs + policy.windowSeconds * 1000;
  if (state.lockouts > 0) {
    untilMs = Math.max(untilMs, state.lockedUntilMs + policy.maxLockoutSeconds * 1000);
  }
  for (const r of Object.values(state.requests)) untilMs = Math.max(untilMs, r.expiresAtMs);
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}

export function encodeGuard(state: GuardState): Uint8Array {
  return Buffer.from(JSON.stringify(state), 'utf8');
}

/** A stored record, or undefined for anything that is not one (never throws). */
export function decodeGuard(bytes: Uint8Array): GuardState | undefined {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<GuardState>;
    if (
      typeof v.windowStartMs !== 'number' ||
      typeof v.failures !== 'number' ||
      typeof v.lockouts !== 'number' ||
      typeof v.lockedUntilMs !== 'number' ||
      typeof v.requests !== 'object' ||
      v.requests === null
    ) {
      return undefined;
    }
    return v as GuardState;
  } catch {
    return undefined;
  }
}

function liveRequests(requests: GuardState['requests'], nowMs: number): GuardState['requests'] {
  const out: GuardState['requests'] = {};
  for (const [id, r] of Object.entries(requests)) if (r.expiresAtMs > nowMs) out[id] = { ...r };
  return out;
}

function trimRequests(requests: GuardState['requests']): void {
  const ids = Object.keys(requests);
  if (ids.length <= MAX_TRACKED_REQUESTS) return;
  ids.sort((a, b) => (requests[a]?.expiresAtMs ?? 0) - (requests[b]?.expiresAtMs ?? 0));
  for (const id of ids.slice(0, ids.length - MAX_TRACKED_REQUESTS)) delete requests[id];
}
