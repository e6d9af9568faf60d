import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './work-queue.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue', () => {
  it('hands out each waiting key once however often it was added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key that is being processed, and serves a re-add after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    expect(q.length).toBe(0);
    let next: string | undefined = 'none';
    void q.get().then((k) => (next = k));
    await Promise.resolve();
    expect(next).toBe('none');
    q.done('a');
    await Promise.resolve();
    expect(next).toBe('a');
  });

  it('backs off a failing key exponentially up to the cap, and forget resets it', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50, burst: 1000 });
    expect([1, 2, 3, 4, 5].map(() => q.addRateLimited('a'))).toEqual([10, 20, 40, 50, 50]);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(10);
  });

  it('queues a delayed key when its delay has passed', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 100);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(100);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('limits the overall rate of retries across keys with a token bucket', () => {
    let now = 0;
    const q = new WorkQueue({ baseDelayMs: 1, ratePerSecond: 10, burst: 2, now: () => now });
    expect(q.addRateLimited('a')).toBe(1);
    expect(q.addRateLimited('b')).toBe(1);
    expect(q.addRateLimited('c')).toBe(100);
    expect(q.addRateLimited('d')).toBe(200);
    now = 1_000;
    expect(q.addRateLimited('e')).toBe(1);
  });

  it('releases waiting consumers with undefined on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.addAfter('later', 1_000);
    q.shutdown();
    expect(await waiting).toBeUndefined();
    expect(q.delayed).toBe(0);
    q.add('x');
    expect(q.length).toBe(0);
  });
});
