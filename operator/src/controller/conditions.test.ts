import { describe, expect, it } from 'vitest';
import { Reason, notReadyStatus, readyStatus, setCondition, statusEqual } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status stays the same and moves it when the status flips', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'a' },
      t0,
    );
    const same = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'b' },
      t1,
    );
    const flipped = setCondition(
      same,
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'c' },
      t1,
    );
    expect(first[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]).toMatchObject({ message: 'b', lastTransitionTime: '2026-01-01T00:00:00Z' });
    expect(flipped[0]).toMatchObject({ status: 'False', lastTransitionTime: '2026-01-01T00:05:00Z' });
    expect(flipped).toHaveLength(1);
  });
});

describe('group status', () => {
  it('is equal to itself recomputed later, so an unchanged group is not written again', () => {
    const status = readyStatus(undefined, 3, 2, 'g-click-to-call-in', t0);
    expect(statusEqual(status, readyStatus(status, 3, 2, 'g-click-to-call-in', t1))).toBe(true);
  });

  it('differs when the generation, the pool size or the reason changes', () => {
    const status = readyStatus(undefined, 3, 2, 'cm', t0);
    expect(statusEqual(status, readyStatus(status, 4, 2, 'cm', t1))).toBe(false);
    expect(statusEqual(status, readyStatus(status, 3, 5, 'cm', t1))).toBe(false);
    expect(statusEqual(status, notReadyStatus(status, 3, Reason.InvalidSpec, 'fix it', t1))).toBe(false);
  });

  it('drops poolSize and configMapName when the group cannot be published', () => {
    const failed = notReadyStatus(
      readyStatus(undefined, 1, 2, 'cm', t0),
      2,
      Reason.DuplicateGroupName,
      'taken',
      t1,
    );
    expect(failed).toEqual({
      observedGeneration: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'DuplicateGroupName',
          message: 'taken',
          observedGeneration: 2,
          lastTransitionTime: '2026-01-01T00:05:00Z',
        },
      ],
    });
  });
});
