import { describe, expect, it } from 'vitest';
import { gesUserData, isIdentifierName } from './ges-user-data.ts';

describe('GES user data keys', () => {
  it.each(['reason', '_private', '$ref', 'caseId2', 'café', 'Ωmega', 'class', 'a_b$c'])(
    'keeps the identifier %j',
    (key) => expect(isIdentifierName(key)).toBe(true),
  );
  it.each(['', '2fast', 'with space', 'dash-key', 'dot.key', 'emoji😀', '"quoted"', 'a\nb'])(
    'drops the non-identifier %j',
    (key) => expect(isIdentifierName(key)).toBe(false),
  );
  it('keeps identifier keys with their nested values whole, and counts the others', () => {
    const { kept, ignored } = gesUserData({
      reason: 'claim',
      'x-y': 1,
      nested: { 'a b': [1, 2] },
      '9': true,
    });
    expect(kept).toEqual({ reason: 'claim', nested: { 'a b': [1, 2] } });
    expect(ignored).toBe(2);
  });
});
