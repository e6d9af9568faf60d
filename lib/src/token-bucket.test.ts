import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('a token bucket', () => {
  it('starts full, allows its burst at once, then refills at its rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, 0);
    expect([1, 2, 3].map(() => bucket.tryTake(0))).toEqual([0, 0, 0]);
    expect(bucket.tryTake(0)).toBe(0.5);
    expect(bucket.tryTake(250)).toBe(0.25);
    expect(bucket.tryTake(500)).toBe(0);
    expect(bucket.tryTake(500)).toBe(0.5);
  });

  it('never holds more than its burst, however long it rests', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2 }, 0);
    expect([1, 2, 3].map(() => bucket.tryTake(3_600_000))).toEqual([0, 0, 0.1]);
  });

  it('takes nothing when it refuses, so refused callers do not push each other back', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, 0);
    expect(bucket.tryTake(0)).toBe(0);
    expect([1, 2, 3].map(() => bucket.tryTake(0))).toEqual([1, 1, 1]);
    expect(bucket.tryTake(1_000)).toBe(0);
  });

  it('reserves into debt, each reservation waiting one token longer than the last', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.reserve(0))).toEqual([0, 0, 0.1, 0.2]);
    // 1 s later: ten tokens refilled pay the debt of two and leave the burst.
    expect(bucket.reserve(1_000)).toBe(0);
  });

  it('remembers when it was last asked, refused or not', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, 5);
    expect(bucket.updatedAtMs).toBe(5);
    bucket.tryTake(40);
    bucket.tryTake(60);
    expect(bucket.updatedAtMs).toBe(60);
  });
});
