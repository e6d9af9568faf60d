import { describe, expect, it } from 'vitest';
import { correlationIdOf, createRequestIdGenerator, UUID_PATTERN } from './request-ids.ts';

describe('createRequestIdGenerator', () => {
  it('gives version 4 UUIDs that do not repeat', () => {
    const next = createRequestIdGenerator();
    const ids = Array.from({ length: 10_000 }, next);
    expect(
      ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('correlationIdOf', () => {
  const caller = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
  it('echoes a well-formed x-request-id or ccid, lower-cased', () => {
    expect(correlationIdOf({ 'x-request-id': caller })).toBe(caller.toLowerCase());
    expect(correlationIdOf({ ccid: caller })).toBe(caller.toLowerCase());
    expect(correlationIdOf({ 'x-request-id': 'not-a-uuid', ccid: caller })).toBe(caller.toLowerCase());
  });
  it('makes a new UUID for a missing or malformed one', () => {
    for (const headers of [{}, { 'x-request-id': 'req-9' }, { ccid: `${caller}x` }, { ccid: '' }]) {
      const id = correlationIdOf(headers);
      expect(id).toMatch(UUID_PATTERN);
      expect(id).not.toBe(caller.toLowerCase());
    }
  });
});
