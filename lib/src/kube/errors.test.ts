import { describe, expect, it } from 'vitest';
import { KubeErrorCode, apiError, isAlreadyExists, isConflict, isGone, isNotFound } from './errors.ts';

describe('apiError', () => {
  it('takes the message, reason and details of the Status object in the answer', () => {
    const body = JSON.stringify({
      kind: 'Status',
      message: 'configmaps "a" already exists',
      reason: 'AlreadyExists',
      details: { name: 'a', kind: 'configmaps' },
    });
    const err = apiError('POST', '/api/v1/namespaces/ns/configmaps', 409, body);
    expect(err).toMatchObject({
      code: KubeErrorCode.Api,
      status: 409,
      reason: 'AlreadyExists',
      details: { name: 'a', kind: 'configmaps' },
      message: 'POST /api/v1/namespaces/ns/configmaps: 409 configmaps "a" already exists',
    });
    expect([isAlreadyExists(err), isConflict(err), isNotFound(err), isGone(err)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('falls back to the start of a body that is not a Status, or to the HTTP status', () => {
    expect(apiError('GET', '/x', 503, 'upstream unavailable').message).toBe(
      'GET /x: 503 upstream unavailable',
    );
    expect(apiError('GET', '/x', 502, '')).toMatchObject({ message: 'GET /x: 502 HTTP 502', reason: '' });
  });
});
