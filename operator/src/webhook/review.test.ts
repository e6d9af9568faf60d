import { describe, expect, it } from 'vitest';
import { parseAdmissionReview, reviewGroup, type AdmissionRequest } from './review.ts';

function request(spec: unknown, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    uid: 'u1',
    kind: { group: 'clicktocall.dev', version: 'v1alpha1', kind: 'ClickToCallInGroup' },
    operation: 'CREATE',
    namespace: 'cc',
    object: { metadata: { name: 'claims', namespace: 'cc' }, spec },
    ...extra,
  };
}
const none = { otherGroupNames: new Set<string>() };

describe('parseAdmissionReview', () => {
  it.each([
    ['a non-object', 'x', 'not a JSON object'],
    ['another kind', { kind: 'Pod' }, 'kind must be AdmissionReview'],
    ['v1beta1', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion'],
    ['no request', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, 'request is missing'],
    ['no uid', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: {} }, 'uid'],
  ])('refuses %s', (_, body, why) => {
    expect(parseAdmissionReview(body)).toContain(why);
  });

  it('returns the request of a well-formed review', () => {
    expect(
      parseAdmissionReview({
        kind: 'AdmissionReview',
        apiVersion: 'admission.k8s.io/v1',
        request: { uid: 'u' },
      }),
    ).toEqual({ uid: 'u' });
  });
});

describe('reviewGroup', () => {
  it('allows a valid group', () => {
    expect(reviewGroup(request({ dnisPool: [{ number: '+18005555555' }] }), none)).toEqual({
      uid: 'u1',
      allowed: true,
    });
  });

  it('denies an unknown country code and a bad expiry, listing both with their paths', () => {
    const response = reviewGroup(request({ dnisPool: [{ number: '+9991234567' }], expirySeconds: 5 }), none);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(422);
    expect(response.status?.message).toContain('(2 problems)');
    expect(response.status?.message).toContain('spec.dnisPool[0].number');
    expect(response.status?.message).toContain('spec.expirySeconds');
  });

  it('denies a groupName used by another group, defaulting to metadata.name', () => {
    const response = reviewGroup(request({ dnisPool: [{ number: '+18005555555' }] }), {
      otherGroupNames: new Set(['claims']),
    });
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('claims');
  });

  it('denies a bad line of a readable CSV source, naming the line', () => {
    const response = reviewGroup(
      request({ dnisPoolFrom: { configMapKeyRef: { name: 'p', key: 'pool.csv' } } }),
      {
        ...none,
        csvPool: { text: '+18005555555,\n+18005555556\n', source: 'p/pool.csv' },
      },
    );
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('p/pool.csv:2');
  });

  it('allows a group whose CSV source is not there yet, with a warning', () => {
    const response = reviewGroup(
      request({ dnisPoolFrom: { configMapKeyRef: { name: 'p', key: 'pool.csv' } } }),
      {
        ...none,
        csvUnreadable: 'ConfigMap "p" does not exist yet',
      },
    );
    expect(response).toEqual({ uid: 'u1', allowed: true, warnings: ['ConfigMap "p" does not exist yet'] });
  });

  it('warns about a unique-DNIS group with a tiny pool', () => {
    const response = reviewGroup(request({ uniqueDnis: true, dnisPool: [{ number: '+18005555555' }] }), none);
    expect(response.allowed).toBe(true);
    expect(response.warnings?.join(' ')).toContain('uniqueDnis');
  });

  it('lets deletes and other kinds through untouched', () => {
    expect(reviewGroup(request(undefined, { operation: 'DELETE' }), none)).toEqual({
      uid: 'u1',
      allowed: true,
    });
    expect(reviewGroup(request({}, { kind: { group: '', kind: 'ConfigMap' } }), none)).toEqual({
      uid: 'u1',
      allowed: true,
    });
  });
});
