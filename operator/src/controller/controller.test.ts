import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '#lib';
import { Controller, type ReconcileOutcome, type ReconcileResult, type Reconciler } from './controller.ts';
import { WorkQueue } from './work-queue.ts';

const log = createLogger('controller-test', { level: 'silent' });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets the workers run what is ready without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

interface Call {
  key: string;
  atMs: number;
  signal: AbortSignal;
}

/** A controller over a real work queue and a fake reconciler; `answer` decides each reconcile. */
function run(
  answer: (key: string, attempt: number, signal: AbortSignal) => Promise<ReconcileResult>,
  options: { keys?: string[]; concurrency?: number; resyncIntervalMs?: number } = {},
) {
  const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 10_000 });
  const calls: Call[] = [];
  const outcomes: ReconcileOutcome[] = [];
  const started = Date.now();
  const reconciler: Reconciler = {
    reconcile(key, signal) {
      const attempt = calls.filter((c) => c.key === key).length;
      calls.push({ key, atMs: Date.now() - started, signal });
      return answer(key, attempt, signal);
    },
  };
  const abort = new AbortController();
  const controller = new Controller({
    name: 'test',
    queue,
    reconciler,
    log,
    concurrency: options.concurrency ?? 1,
    resyncIntervalMs: options.resyncIntervalMs ?? 0,
    keys: () => options.keys ?? ['ns/a'],
    hooks: { onReconciled: (outcome) => outcomes.push(outcome) },
  });
  const running = controller.start(abort.signal);
  const stop = async () => {
    abort.abort();
    await settle();
    await running;
  };
  return { queue, calls, outcomes, abort, running, stop };
}

const success: ReconcileResult = { outcome: 'success' };

describe('Controller', () => {
  it('reconciles every key once at start and stops when its signal aborts', async () => {
    const c = run(async () => success, { keys: ['ns/a', 'ns/b'] });
    await settle();
    expect(c.calls.map((call) => call.key)).toEqual(['ns/a', 'ns/b']);
    expect(c.outcomes).toEqual(['success', 'success']);
    await c.stop();
    expect(c.queue.shuttingDown).toBe(true);
  });

  it('retries a failing key after a backoff that doubles, and a success resets the backoff', async () => {
    const c = run(async (_, attempt) => {
      if (attempt < 2) throw new Error('the API server is away');
      return success;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(c.calls.map((call) => call.atMs)).toEqual([0, 100, 300]);
    expect(c.outcomes).toEqual(['error', 'error', 'success']);
    expect(c.queue.numRequeues('ns/a')).toBe(0);
    await c.stop();
  });

  it('comes back after requeueAfterMs even if nothing changes, without counting a failure', async () => {
    const c = run(async (_, attempt) => {
      if (attempt === 0) throw new Error('once');
      return attempt === 1 ? { outcome: 'success', requeueAfterMs: 5_000 } : success;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(c.queue.numRequeues('ns/a')).toBe(0);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(c.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.calls.map((call) => call.atMs)).toEqual([0, 100, 5_100]);
    expect(c.outcomes).toEqual(['error', 'requeue', 'success']);
    await c.stop();
  });

  it('does not retry a terminal result', async () => {
    const c = run(async () => ({ outcome: 'terminal' }));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(c.calls).toHaveLength(1);
    expect(c.outcomes).toEqual(['terminal']);
    await c.stop();
  });

  it('never reconciles one key twice at once, even with several workers', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const inFlight = new Map<string, number>();
    let mostAtOnce = 0;
    const c = run(
      async (key) => {
        const now = (inFlight.get(key) ?? 0) + 1;
        inFlight.set(key, now);
        mostAtOnce = Math.max(mostAtOnce, now);
        if (key === 'ns/a') await held;
        inFlight.set(key, now - 1);
        return success;
      },
      { keys: ['ns/a'], concurrency: 3 },
    );
    await settle();
    c.queue.add('ns/a');
    c.queue.add('ns/a');
    c.queue.add('ns/b');
    await settle();
    // b ran beside a; the two re-adds of a wait, as one, for a to be done.
    expect(c.calls.map((call) => call.key)).toEqual(['ns/a', 'ns/b']);
    release();
    await settle();
    expect(c.calls.map((call) => call.key)).toEqual(['ns/a', 'ns/b', 'ns/a']);
    expect(mostAtOnce).toBe(1);
    await c.stop();
  });

  it('hands its signal to the reconciler, and does not retry a reconcile cut short by a stop', async () => {
    const c = run(
      (_, __, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    );
    await settle();
    expect(c.calls[0]?.signal.aborted).toBe(false);
    await c.stop();
    expect(c.calls[0]?.signal.aborted).toBe(true);
    expect(c.outcomes).toEqual(['error']);
    expect(c.queue.numRequeues('ns/a')).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(c.calls).toHaveLength(1);
  });

  it('queues every key again at each resync', async () => {
    const c = run(async () => success, { keys: ['ns/a', 'ns/b'], resyncIntervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(c.calls.map((call) => `${call.key}@${call.atMs}`)).toEqual([
      'ns/a@0',
      'ns/b@0',
      'ns/a@60000',
      'ns/b@60000',
      'ns/a@120000',
      'ns/b@120000',
    ]);
    await c.stop();
  });
});
