import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap and starts over after reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 500, 500]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('takes at most the jitter fraction off each delay', () => {
    const b = new Backoff({ initialMs: 1000, jitter: 0.2, random: () => 0.999 });
    expect(b.next()).toBeGreaterThanOrEqual(800);
    expect(b.next()).toBeLessThanOrEqual(2000);
  });
});
