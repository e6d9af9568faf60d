import { describe, expect, it } from 'vitest';
import { groupKey, numberPrefix, slotKey } from './keys.ts';

describe('KV keys', () => {
  it('encode free-text group names into the characters KV keys allow', () => {
    const key = slotKey('Auto insurance / été ✓', '+18005555555', { kind: 'code', accessCode: '123456' });
    expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
    expect(key.endsWith('.18005555555.c123456')).toBe(true);
    expect(groupKey('a')).not.toBe(groupKey('b'));
  });

  it('give each discriminator its own key', () => {
    const keys = [
      slotKey('g', '+1800', { kind: 'unique' }),
      slotKey('g', '+1800', { kind: 'code', accessCode: '1234' }),
      slotKey('g', '+1800', { kind: 'caller', callerNumber: '+1234' }),
    ];
    expect(new Set(keys).size).toBe(3);
  });

  it('list the slot keys of one number of a group under one prefix, and no other number', () => {
    const prefix = numberPrefix('g', '+1800');
    const onNumber = [
      slotKey('g', '+1800', { kind: 'unique' }),
      slotKey('g', '+1800', { kind: 'code', accessCode: '1234' }),
      slotKey('g', '+1800', { kind: 'caller', callerNumber: '+1234' }),
    ];
    expect(onNumber.every((k) => k.startsWith(prefix))).toBe(true);
    expect(slotKey('g', '+18001', { kind: 'unique' }).startsWith(prefix)).toBe(false);
    expect(slotKey('h', '+1800', { kind: 'unique' }).startsWith(prefix)).toBe(false);
  });
});
