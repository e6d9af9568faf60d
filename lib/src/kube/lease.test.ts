import { describe, expect, it } from 'vitest';
import { microTime } from './lease.ts';

describe('microTime', () => {
  it('formats with exactly six fractional digits, as the API server parses MicroTime', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
