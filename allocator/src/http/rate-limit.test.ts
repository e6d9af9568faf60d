import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('the rate limiter', () => {
  it('allows a burst, then the sustained rate, per client', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter(2, 3, () => clock.now);
    expect([1, 2, 3].map(() => limiter.take('a'))).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0);
    clock.now += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
  });

  it('is off at rate 0', () => {
    const limiter = new RateLimiter(0, 1);
    for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBe(0);
  });
});
