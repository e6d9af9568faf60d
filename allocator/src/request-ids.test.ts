import { describe, expect, it } from 'vitest';
import { createRequestIdGenerator } from './request-ids.ts';

describe('createRequestIdGenerator', () => {
  it('gives 22-character base64url ids that do not repeat across pool refills', () => {
    const next = createRequestIdGenerator();
    const ids = Array.from({ length: 10_000 }, next);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives independent sequences to independent generators', () => {
    const a = createRequestIdGenerator();
    const b = createRequestIdGenerator();
    expect(a()).not.toBe(b());
  });
});
