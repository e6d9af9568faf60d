import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  decodeGuard,
  encodeGuard,
  guardKey,
  guardTtlSeconds,
  lockOf,
  lockoutMs,
  type GuardState,
  type MatchGuardPolicy,
} from './match-guard.ts';

const policy: MatchGuardPolicy = {
  failuresPerNumber: 3,
  windowSeconds: 60,
  lockoutSeconds: 30,
  maxLockoutSeconds: 100,
  failuresPerRequest: 2,
};
const t0 = 1_000_000;

function fail(
  times: number,
  from: GuardState | undefined,
  at: number,
  request?: { id: string; expiresAtMs: number },
) {
  let state = from;
  let last;
  for (let i = 0; i < times; i++) {
    last = afterFailure(state, at, policy, request);
    state = last.state;
  }
  return { state: state as GuardState, last };
}

describe('failed-match limits', () => {
  it('locks a number at the limit within the window, and not before', () => {
    const two = fail(2, undefined, t0);
    expect(lockOf(two.state, t0, policy)).toEqual({ locked: false });
    const three = afterFailure(two.state, t0 + 1_000, policy);
    expect(three.lockedNumber).toBe(true);
    expect(lockOf(three.state, t0 + 1_000, policy)).toEqual({
      locked: true,
      scope: 'number',
      retryAfterMs: 30_000,
    });
    expect(lockOf(three.state, t0 + 31_000, policy)).toEqual({ locked: false });
  });

  it('forgets failures older than the window', () => {
    const two = fail(2, undefined, t0);
    const later = afterFailure(two.state, t0 + 60_000, policy);
    expect(later.lockedNumber).toBe(false);
    expect(later.state.failures).toBe(1);
  });

  it('doubles each further lockout up to the maximum', () => {
    expect([1, 2, 3, 4, 40].map((n) => lockoutMs(n, policy))).toEqual([
      30_000, 60_000, 100_000, 100_000, 100_000,
    ]);
    let at = t0;
    let state: GuardState | undefined;
    const lengths: number[] = [];
    for (let i = 0; i < 3; i++) {
      state = fail(3, state, at).state;
      lengths.push(state.lockedUntilMs - at);
      at = state.lockedUntilMs;
    }
    expect(lengths).toEqual([30_000, 60_000, 100_000]);
  });

  it('does not count failures while the number is locked', () => {
    const locked = fail(3, undefined, t0).state;
    const during = afterFailure(locked, t0 + 5_000, policy);
    expect(during.state.lockouts).toBe(1);
    expect(during.state.lockedUntilMs).toBe(locked.lockedUntilMs);
  });

  it('locks a request charged with the per-request limit until it expires, and only that request', () => {
    const request = { id: 'r1', expiresAtMs: t0 + 20_000 };
    const once = afterFailure(undefined, t0, policy, request);
    expect(once.lockedRequest).toBe(false);
    const twice = afterFailure(once.state, t0, policy, request);
    expect(twice.lockedRequest).toBe(true);
    expect(lockOf(twice.state, t0 + 1, policy, 'r1')).toEqual({
      locked: true,
      scope: 'request',
      retryAfterMs: 19_999,
    });
    expect(lockOf(twice.state, t0 + 1, policy, 'r2')).toEqual({ locked: false });
    expect(lockOf(twice.state, t0 + 20_000, policy, 'r1')).toEqual({ locked: false });
  });

  it('drops requests that have expired and keeps the record while anything in it matters', () => {
    const s = afterFailure(undefined, t0, policy, { id: 'r1', expiresAtMs: t0 + 500_000 }).state;
    expect(guardTtlSeconds(s, t0, policy)).toBe(500);
    const later = afterFailure(s, t0 + 600_000, policy).state;
    expect(later.requests).toEqual({});
    const locked = fail(3, undefined, t0).state;
    // The lockout (30 s) plus the time the doubling is remembered (100 s).
    expect(guardTtlSeconds(locked, t0, policy)).toBe(130);
  });

  it('round-trips through the store encoding and refuses what is not a record', () => {
    const s = fail(2, undefined, t0, { id: 'r', expiresAtMs: t0 + 10 }).state;
    expect(decodeGuard(encodeGuard(s))).toEqual(s);
    expect(decodeGuard(Buffer.from('{"failures":"x"}'))).toBeUndefined();
    expect(decodeGuard(Buffer.from('not json'))).toBeUndefined();
    expect(guardKey('+18005555555')).toBe('g.18005555555');
  });
});
