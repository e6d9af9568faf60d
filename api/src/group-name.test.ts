import { describe, expect, it } from 'vitest';
import { groupNameOf } from './group-name.ts';

describe('groupNameOf', () => {
  it.each([
    ['spec.groupName when set', { groupName: 'auto_insurance' }, 'auto-insurance', 'auto_insurance'],
    [
      'metadata.name when spec.groupName is not set',
      { expirySeconds: 30 },
      'auto-insurance',
      'auto-insurance',
    ],
    ['metadata.name when spec.groupName is not text', { groupName: 42 }, 'auto-insurance', 'auto-insurance'],
    ['metadata.name when there is no spec', undefined, 'auto-insurance', 'auto-insurance'],
    ['nothing when neither is known', {}, undefined, undefined],
  ])('is %s', (_, spec, metadataName, expected) => {
    expect(groupNameOf(spec, metadataName)).toBe(expected);
  });
});
