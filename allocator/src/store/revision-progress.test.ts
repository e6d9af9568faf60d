import { describe, expect, it } from 'vitest';
import { RevisionProgress } from './revision-progress.ts';

describe('a watch progress', () => {
  it('answers at once for a revision already reached', async () => {
    const progress = new RevisionProgress(5);
    await expect(progress.reached(5, 0)).resolves.toBe(true);
    await expect(progress.reached(3, 0)).resolves.toBe(true);
  });

  it('wakes the waiters of every revision up to the one reached, and only those', async () => {
    const progress = new RevisionProgress();
    const early = progress.reached(2, 5_000);
    const late = progress.reached(4, 50);
    progress.advance(3);
    await expect(early).resolves.toBe(true);
    await expect(late).resolves.toBe(false);
    expect(progress.revision).toBe(3);
    progress.advance(1);
    expect(progress.revision).toBe(3);
  });

  it('answers false to every waiter when the watch stops, and to later calls short of the mark', async () => {
    const progress = new RevisionProgress(1);
    const waiting = progress.reached(2, 5_000);
    progress.stop();
    await expect(waiting).resolves.toBe(false);
    await expect(progress.reached(2, 5_000)).resolves.toBe(false);
    await expect(progress.reached(1, 5_000)).resolves.toBe(true);
  });
});
