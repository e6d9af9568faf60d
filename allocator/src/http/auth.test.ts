import { describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, hashApiKey, parseApiKeys } from './auth.ts';

describe('API keys', () => {
  const keys = parseApiKeys({
    keys: [{ name: 'ivr', sha256: hashApiKey('k1').toUpperCase(), scopes: ['match'], groups: ['g'] }],
  });

  it('are read from a list and keep only the hash', () => {
    expect(keys).toEqual([{ name: 'ivr', sha256: hashApiKey('k1'), scopes: ['match'], groups: ['g'] }]);
  });

  it.each([
    ['a missing name', [{ sha256: hashApiKey('x'), scopes: ['read'] }], /name is required/],
    ['a hash that is not SHA-256 hex', [{ name: 'a', sha256: 'abc', scopes: ['read'] }], /64 hex digits/],
    ['an unknown scope', [{ name: 'a', sha256: hashApiKey('x'), scopes: ['admin'] }], /scopes must list/],
    ['no list', { nope: 1 }, /must hold a list/],
  ])('refuses %s', (_name, doc, message) => {
    expect(() => parseApiKeys(doc)).toThrow(message);
  });

  it('authenticate the presented key, and refuse a missing or unknown one', () => {
    const auth = new ApiKeyAuthenticator(keys);
    expect(auth.open).toBe(false);
    expect(auth.authenticate('k1').name).toBe('ivr');
    expect(() => auth.authenticate(undefined)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => auth.authenticate('k2')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('let everything in when none are configured (open mode)', () => {
    const auth = new ApiKeyAuthenticator([]);
    expect(auth.open).toBe(true);
    expect(auth.authenticate(undefined).scopes.size).toBe(3);
  });
});
