import { describe, expect, it } from 'vitest';
import { subjectFilterOf } from './nats/kv-message.ts';
import { keyMatches } from './store.ts';

describe('key filters', () => {
  it('match a whole token prefix', () => {
    expect(keyMatches('s.g.1.u', 's.')).toBe(true);
    expect(keyMatches('s.g.1.u', 's.g.')).toBe(true);
    expect(keyMatches('s.gx.1.u', 's.g.')).toBe(false);
    expect(keyMatches('t.g.1.u', 's.')).toBe(false);
  });

  it('match a pattern of tokens, * standing for any one', () => {
    expect(keyMatches('s.Zw.18005550001.u', 's.*.*.u')).toBe(true);
    expect(keyMatches('s.Zw.18005550001.c123456', 's.*.*.u')).toBe(false);
    expect(keyMatches('s.Zw.18005550001.u.x', 's.*.*.u')).toBe(false);
    expect(keyMatches('s.Zw.u', 's.*.*.u')).toBe(false);
    expect(keyMatches('s.Zw.1.u', 's.*.')).toBe(true);
    expect(keyMatches('s.Zw', 's.*.')).toBe(false);
  });

  it('become NATS subject filters under the bucket', () => {
    expect(subjectFilterOf('$KV.b.', 's.')).toBe('$KV.b.s.>');
    expect(subjectFilterOf('$KV.b.', 's.*.*.u')).toBe('$KV.b.s.*.*.u');
  });
});
